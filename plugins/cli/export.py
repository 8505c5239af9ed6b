"""`facegraft export MODEL_DIR -o swap.pt|swap.onnx`: the swap path for Nuke's Inference node or ONNX."""
import argparse
import sys
from pathlib import Path

from facegraft.core.errors import OutputError
from facegraft.core.media.atomic import prepare_output

FORMATS = {".pt": "torchscript", ".onnx": "onnx"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("export", help="export a trained model's swap path (TorchScript or ONNX)",
                              description="Write the swap path: linear Rec.709 RGB in, linear RGB + mask out.")
    p.add_argument("model", metavar="MODEL_DIR", help="a folder written by facegraft train")
    p.add_argument("-o", "--output", required=True, help="swap.pt (TorchScript, for Nuke) or swap.onnx")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: object = None) -> int:
    from facegraft.core.export.exporters import export_onnx, export_torchscript
    from facegraft.core.models.files import load_model

    kind = FORMATS.get(Path(args.output).suffix.lower())
    if kind is None:
        raise OutputError(f"{args.output}: unknown export format; name the file .pt (TorchScript) or .onnx")
    for written in (args.output, args.output + ".json"):
        prepare_output(written, inputs=[args.model])
    model = load_model(args.model)
    path = export_torchscript(model, args.output) if kind == "torchscript" else export_onnx(model, args.output)
    if not getattr(args, "quiet", False):
        print(f"facegraft: wrote {kind} {path} (+ {path.name}.json)", file=sys.stderr)
    return 0
