"""Write a model's swap path as TorchScript (.pt, for Nuke's Inference node) or ONNX (.onnx).

Both take linear Rec.709 RGB in and give linear RGB + mask out (`host_module.HostSwap`). Each
export writes `<file>.json` beside it: model config, torch version, input/output contract. Older
Nuke releases load only TorchScript made by their own torch (Nuke 13: 1.6, Nuke 14: 1.12.1).
"""
import json
import warnings
from pathlib import Path

import torch

from facegraft.core.export.host_module import HostSwap, SwapOnly
from facegraft.core.media.atomic import atomic_write_path, atomic_write_text
from facegraft.core.models.files import LoadedModel

CONTRACT = {"input": "1xCxHxW, C>=3, RGB linear Rec.709 (sRGB primaries), aligned face crop",
            "output": "1x4xHxW, RGB linear Rec.709 (decoder A face), A = face mask [0, 1]"}


def host_module(model: LoadedModel) -> HostSwap:
    """The eager `HostSwap` of a loaded model (eval mode, CPU float32)."""
    return HostSwap(SwapOnly(model.network.float().cpu().eval()), model.config.resolution).eval()


def _sidecar(path: Path, model: LoadedModel, kind: str) -> None:
    atomic_write_text(path.with_name(path.name + ".json"), json.dumps(
        {"format": kind, "torch_version": torch.__version__, "model": model.config.to_json(),
         "iteration": model.training_state.get("iteration"), **CONTRACT}, indent=1))


def export_torchscript(model: LoadedModel, path: str | Path) -> Path:
    """Script `HostSwap` (the network inside is traced at S x S) and save it atomically to `path`.

    Raises: OutputError if the folder cannot be written.
    """
    path = Path(path)
    s = model.config.resolution
    eager = host_module(model)
    with torch.no_grad(), warnings.catch_warnings():
        # TorchScript is deprecated in torch, but it is what Nuke's Inference node loads.
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=r".*torch\.jit")
        traced = torch.jit.trace(eager.swap, torch.rand(1, 3, s, s), check_trace=False)
        scripted = torch.jit.script(HostSwap(traced, s).eval())
        with atomic_write_path(path) as tmp:
            torch.jit.save(scripted, str(tmp))
    _sidecar(path, model, "torchscript")
    return path


def export_onnx(model: LoadedModel, path: str | Path, *, opset: int = 18) -> Path:
    """Export `HostSwap` with a fixed 1x3xSxS input to ONNX atomically (needs the onnx and
    onnxscript packages). Raises: OutputError if the folder cannot be written."""
    path = Path(path)
    s = model.config.resolution
    eager = host_module(model)
    example = torch.rand(1, 3, s, s)
    with atomic_write_path(path) as tmp, torch.no_grad():
        program = torch.onnx.export(eager, (example,), input_names=["rgb_linear"], output_names=["rgb_mask"],
                                    opset_version=opset, dynamo=True, external_data=False, verbose=False)
        program.save(str(tmp))
    _sidecar(path, model, "onnx")
    return path
