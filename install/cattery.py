"""`facegraft install cattery MODEL`: package a model's TorchScript export in Nuke's Cattery layout.

    <out>/Cattery/<Node>/<Node>.pt         TorchScript (facegraft.core.export), + <Node>.pt.json sidecar
    <out>/Cattery/<Node>/<Node>.nk         a Group: Inference on <Node>.cat, face RGB + mask in rgba
    <out>/Cattery/<Node>/cat.json          what CatFileCreator needs, the contract, torch version
    <out>/Cattery/<Node>/make_cat.py       run in Nuke's Script Editor: CatFileCreator → <Node>.cat
    <out>/Cattery/<Node>/README.txt        the steps

A `.cat` file can only be written by Nuke's CatFileCreator, so the package holds the .pt and a
script that drives CatFileCreator (knobs torchScriptFile, catFile, channelsIn, channelsOut,
modelId, outputScale). Nuke 13 loads TorchScript from torch 1.6 only, Nuke 14 from 1.12.1:
`cat.json` records the torch version the export was made with.
"""
import json
import re
from dataclasses import dataclass
from pathlib import Path

from facegraft.core.errors import OutputError
from facegraft.core.media.atomic import atomic_write_text

CHANNELS_IN = "rgba.red,rgba.green,rgba.blue"
CHANNELS_OUT = "rgba.red,rgba.green,rgba.blue,rgba.alpha"


@dataclass(frozen=True)
class CatteryPackage:
    folder: Path
    torchscript: Path
    cat_file: Path  # written later by CatFileCreator inside Nuke


def node_name(text: str) -> str:
    """A Nuke node name: letters, digits, underscores, not starting with a digit."""
    name = re.sub(r"\W", "_", text).strip("_") or "facegraft_swap"
    return name if not name[0].isdigit() else f"fg_{name}"


def package_cattery(model_dir: str | Path, out_dir: str | Path, *, name: str | None = None) -> CatteryPackage:
    """Export `model_dir` to TorchScript and write the Cattery folder. Raises ModelMismatchError / OutputError."""
    from facegraft.core.export.exporters import CONTRACT, export_torchscript
    from facegraft.core.models.files import load_model

    import torch

    model = load_model(model_dir, device="cpu")
    node = node_name(name or Path(model_dir).resolve().name)
    folder = Path(out_dir) / "Cattery" / node
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the Cattery folder ({exc}); pass another --out") from exc
    pt, cat = folder / f"{node}.pt", folder / f"{node}.cat"
    export_torchscript(model, pt)
    info = {"name": node, "torchScriptFile": pt.name, "catFile": cat.name, "channelsIn": CHANNELS_IN,
            "channelsOut": CHANNELS_OUT, "modelId": node, "outputScale": 1, "torch_version": torch.__version__,
            "resolution": model.config.resolution, "model": model.config.to_json(), **CONTRACT}
    atomic_write_text(folder / "cat.json", json.dumps(info, indent=1) + "\n")
    atomic_write_text(folder / f"{node}.nk", group_nk(node, cat))
    atomic_write_text(folder / "make_cat.py", make_cat_script(node, pt, cat))
    atomic_write_text(folder / "README.txt", readme(node, folder))
    return CatteryPackage(folder, pt, cat)


def group_nk(node: str, cat: Path) -> str:
    """A Group holding one Inference node on the .cat (input: an aligned face crop, linear Rec.709)."""
    return "\n".join([
        "Group {", f" name {node}", ' help "facegraft swap: aligned face crop in (linear Rec.709), '
        'face RGB + mask (alpha) out. Made by facegraft install cattery."', " addUserKnob {20 facegraft}", "}",
        " Input {", "  inputs 0", "  name crop", " }",
        " Inference {", f'  modelFile "{cat.as_posix()}"', "  serialiseKnob {}", "  name swap", " }",
        " Output {", "  name Output1", " }", "end_group", ""])


def make_cat_script(node: str, pt: Path, cat: Path) -> str:
    return "\n".join([
        "# Run in Nuke's Script Editor: writes the .cat beside the TorchScript with CatFileCreator.",
        "import nuke", "", 'creator = nuke.createNode("CatFileCreator")',
        f'creator["torchScriptFile"].setValue(r"{pt}")', f'creator["catFile"].setValue(r"{cat}")',
        f'creator["channelsIn"].setValue("{CHANNELS_IN}")', f'creator["channelsOut"].setValue("{CHANNELS_OUT}")',
        f'creator["modelId"].setValue("{node}")', 'creator["outputScale"].setValue(1)',
        'creator["createCatFile"].execute()', "nuke.delete(creator)", ""])


def readme(node: str, folder: Path) -> str:
    return f"""facegraft model {node} for Nuke's Inference node (Cattery layout)

1. In Nuke (13+; the torch version in cat.json must be one your Nuke loads), open the Script
   Editor and run make_cat.py from this folder, or create a CatFileCreator node by hand with:
   torchScriptFile {node}.pt, catFile {node}.cat, channelsIn {CHANNELS_IN},
   channelsOut {CHANNELS_OUT}, modelId {node}, output scale 1; press Create .cat File.
2. File > Import Script: {node}.nk (a Group with an Inference node on {node}.cat).
3. Feed it an aligned face crop in linear Rec.709 (see cat.json "input"; `facegraft node nk`
   exports the frame→crop Transform); it returns the swapped face RGB and the mask in alpha.
Folder: {folder}
"""
