"""Bad inputs across every verb: each is a one-line error naming the file, frame or flag, exit 2,
with every input byte-identical afterwards and nothing left behind (no temporaries, no locks, no
partial outputs). Run in-process (no command start per case) on a tiny synthetic world.

`pytest tests/plugins/cli/test_cli_fuzz.py` ends with the totals line
`fuzz: N cases, N clean errors, 0 tracebacks, 0 inputs changed, 0 leftovers` (conftest.py here).
Add a case to CASES when a new verb or flag can be given something wrong.
"""
import json
import math
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from facegraft.core.media.image_io import Window, new_image, write_image
from facegraft.plugins.cli.main import main

sys.path.insert(0, str(Path(__file__).parent))
from tiny_world import build_world, leftovers, plate_pixels, tree_digest, write_plate  # noqa: E402

PLATE = "plate/p.####.exr"


@dataclass(frozen=True)
class Case:
    """One bad input: the command, what its error line must name, how the world is spoiled first."""

    id: str
    argv: tuple[str, ...]
    expect: tuple[str, ...]
    setup: Callable[[Path], object] | None = None
    env: dict[str, str] = field(default_factory=dict)
    may_write: tuple[str, ...] = ()  # globs of complete outputs a run may finish before the bad frame


# --- ways to spoil the world ---------------------------------------------------------------

def link(name: str, target: str) -> Callable[[Path], None]:
    return lambda root: os.symlink(os.path.abspath(root / target), root / name)


def hardlink(name: str, target: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        os.link(root / target, root / name)
    return make


def garbage(name: str, data: bytes = b"\x00not what it claims to be\xff") -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return make


def folder(name: str) -> Callable[[Path], None]:
    return lambda root: (root / name).mkdir(parents=True)


def truncate(name: str, keep: int = 400) -> Callable[[Path], None]:
    return lambda root: (root / name).write_bytes((root / name).read_bytes()[:keep])


def odd_frame(frame: int, *, width: int = 80, height: int = 96, channels: int = 4) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        pixels = plate_pixels(frame, width=width, height=height, channels=channels)
        names = ("R", "G", "B", "A")[:channels]
        write_image(root / f"plate/p.{frame}.exr", new_image(pixels, names, pixel_type="half"))
    return make


def roto_frame(name: str, *, channels: int = 4) -> Callable[[Path], None]:
    """A 16-bit PNG roto frame of the plate's size (80x96) with `channels` channels."""
    def make(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        pixels = np.full((96, 80, channels), 0.5, np.float32)
        write_image(root / name, new_image(pixels, ("R", "G", "B", "A")[:channels], pixel_type="uint16"))
    return make


def nan_frame(frame: int) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        pixels = plate_pixels(frame)
        pixels[5, 5, 0] = np.nan
        write_image(root / f"plate/p.{frame}.exr", new_image(pixels, ("R", "G", "B", "A"), pixel_type="half"))
    return make


def huge_window(frame: int) -> Callable[[Path], None]:
    """A tiny file whose header claims a 200000 x 200000 display window."""
    def make(root: Path) -> None:
        image = new_image(plate_pixels(frame), ("R", "G", "B", "A"), pixel_type="half")
        write_image(root / f"plate/p.{frame}.exr", image.__class__(
            image.pixels, image.channels, image.pixel_types, image.data_window, Window(0, 0, 200000, 200000)))
    return make


def edit_json(name: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        data = json.loads((root / name).read_text())
        change(data)
        (root / name).write_text(json.dumps(data))
    return make


def face_field(field_name: str, value) -> Callable[[dict], None]:  # type: ignore[no-untyped-def]
    def change(data: dict) -> None:
        data["frames"]["1002"][0][field_name] = value
    return change


def several(*steps: Callable[[Path], object]) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        for step in steps:
            step(root)
    return make


def other_plate(root: Path) -> None:
    write_plate(root / "other", width=64, height=48)


def corrupt_index(root: Path) -> None:
    (root / "faces_a/faceset.json").write_text('{"schema": "FaceSet", "version": 1, "size": 64, "faces": [')


def empty_training_folder(root: Path) -> None:
    (root / "empty_model").mkdir()


COLLAPSED = [[40.0, 40.0]] * 68
FAR = [[1e7, 1e7]] * 68
CONVERT = ("convert", PLATE, "--alignments", "a.json", "--model", "model")
TRAIN = ("train", "--a", "faces_a", "--b", "faces_b", "-o", "m", "--iterations", "2", "--batch", "2")

CASES = [
    # info and media convert
    Case("info-missing", ("info", "nope.mp4"), ("nope.mp4", "no such")),
    Case("info-no-frames", ("info", "plate/q.####.exr"), ("q.####.exr", "no frames")),
    Case("info-garbage", ("info", "junk.exr"), ("junk.exr", "unreadable"), garbage("junk.exr")),
    Case("info-folder", ("info", "plate"), ("plate", "is a folder")),
    Case("media-ocio-missing", ("media", "convert", PLATE, "out/o.####.exr"), ("nowhere.ocio", "no such file"),
         env={"OCIO": "nowhere.ocio"}),
    Case("media-ocio-folder", ("media", "convert", PLATE, "out/o.####.exr"), ("plate", "folder"),
         env={"OCIO": "plate"}),
    Case("media-symlinked-folder-force", ("media", "convert", PLATE, "alias/p.####.exr", "--force"),
         ("alias/p.", "overwrite the input"), link("alias", "plate")),
    Case("media-printf-spelling", ("media", "convert", PLATE, "plate/p.%04d.exr", "--force"),
         ("overwrite the input",)),
    Case("media-hard-linked-frame", ("media", "convert", PLATE, "out/o.####.exr", "--force"),
         ("out/o.1002.exr", "overwrite the input"), hardlink("out/o.1002.exr", "plate/p.1002.exr")),
    Case("media-offset-onto-inputs", ("media", "convert", PLATE, "plate/p.#.exr", "--start-frame", "1003"),
         ("overwrite the input",)),
    Case("media-output-frame-is-folder", ("media", "convert", PLATE, "out/o.####.exr"),
         ("out/o.1003.exr", "is a folder"), folder("out/o.1003.exr")),
    Case("media-output-under-a-file", ("media", "convert", PLATE, "plate/p.1001.exr/o.####.exr"),
         ("p.1001.exr", "cannot create output folder")),
    Case("media-odd-resolution", ("media", "convert", PLATE, "out/o.####.exr"), ("p.1003.exr", "frame 1003", "80x96"),
         odd_frame(1003), may_write=("out", "out/o.100[12].exr")),
    Case("media-odd-channels", ("media", "convert", PLATE, "out/o.####.exr"), ("p.1002.exr", "frame 1002", "channels"),
         odd_frame(1002, width=96, channels=3), may_write=("out", "out/o.1001.exr")),
    Case("media-missing-channel", ("media", "convert", PLATE, "out/o.####.exr", "--channels", "R,G,Z"),
         ("p.1001.exr", "no channel Z")),
    Case("media-empty-range", ("media", "convert", PLATE, "out/o.####.exr", "--frames", "1004-1001"),
         ("1004-1001", "empty")),
    Case("media-frames-text", ("media", "convert", PLATE, "out/o.####.exr", "--frames", "first"), ("first",)),
    Case("media-frames-outside", ("media", "convert", PLATE, "out/o.####.exr", "--frames", "1001-1009"),
         ("1005", "not in the source")),
    Case("media-start-frame-text", ("media", "convert", PLATE, "out/o.####.exr", "--start-frame", "x"),
         ("--start-frame", "'x'")),
    Case("media-start-frame-huge", ("media", "convert", PLATE, "out/o.####.exr", "--start-frame", "1e30"),
         ("--start-frame",)),
    Case("media-unknown-colorspace", ("media", "convert", PLATE, "out/o.####.exr", "--to-colorspace", "Nope"),
         ("'Nope'", "unknown color space")),
    Case("media-nan-pixels", ("media", "convert", PLATE, "out/o.####.exr", "--frames", "1002"),
         ("p.1002.exr", "frame 1002", "NaN"), nan_frame(1002)),
    Case("media-truncated-frame", ("media", "convert", PLATE, "out/o.####.exr", "--frames", "1002"),
         ("p.1002.exr",), truncate("plate/p.1002.exr")),
    Case("media-huge-window", ("media", "convert", PLATE, "out/o.####.exr", "--frames", "1001"),
         ("p.1001.exr", "GiB"), huge_window(1001)),
    Case("media-bad-pattern", ("media", "convert", PLATE, "out/o.####.####.exr"), ("more than one frame token",)),
    Case("media-garbage-video", ("media", "convert", "clip.mp4", "out/o.####.exr"), ("clip.mp4",),
         garbage("clip.mp4")),
    Case("media-empty-frame-file", ("media", "convert", PLATE, "out/o.####.exr", "--frames", "1003"),
         ("p.1003.exr",), garbage("plate/p.1003.exr", b"")),
    Case("media-billion-frames", ("media", "convert", PLATE, "out/o.####.exr", "--frames", "1-1000000000"),
         ("1-1000000000",)),
    Case("media-from-colorspace-unknown", ("media", "convert", PLATE, "out/o.####.exr", "--from-colorspace", "X"),
         ("'X'",)),
    Case("media-unknown-compression", ("media", "convert", PLATE, "out/o.####.exr", "--compression", "bogus"),
         ("out/o.####.exr", "'bogus'")),
    Case("media-pixel-type-exr-uint8", ("media", "convert", PLATE, "out/o.####.exr", "--pixel-type", "uint8"),
         ("out/o.####.exr", "uint8")),
    Case("media-pixel-type-png-half", ("media", "convert", PLATE, "out/o.####.png", "--pixel-type", "half"),
         ("out/o.####.png", "half")),
    Case("media-unknown-output-type", ("media", "convert", PLATE, "out/o.####.xyz"), ("o.1001.xyz", "no writer")),
    Case("info-unknown-colorspace", ("info", PLATE, "--colorspace", "bogus"), ("'bogus'",)),
    # extract
    Case("extract-size-0", ("extract", PLATE, "-o", "x.json", "--size", "0"), ("--size", "0 is outside")),
    Case("extract-size-huge", ("extract", PLATE, "-o", "x.json", "--size", "100000"), ("--size", "100000")),
    Case("extract-redetect-0", ("extract", PLATE, "-o", "x.json", "--redetect-every", "0"), ("--redetect-every",)),
    Case("extract-cluster-nan", ("extract", PLATE, "-o", "x.json", "--cluster-distance", "nan"),
         ("--cluster-distance", "finite")),
    Case("extract-cluster-negative", ("extract", PLATE, "-o", "x.json", "--cluster-distance", "-1"),
         ("--cluster-distance",)),
    Case("extract-save-seconds-negative", ("extract", PLATE, "-o", "x.json", "--save-seconds", "-5"),
         ("--save-seconds",)),
    Case("extract-upsample-9", ("extract", PLATE, "-o", "x.json", "--upsample", "9"), ("--upsample",)),
    Case("extract-not-json", ("extract", PLATE, "-o", "x.txt"), ("x.txt", "JSON")),
    Case("extract-corrupt-existing", ("extract", PLATE, "-o", "bad.json"), ("bad.json", "corrupt"),
         garbage("bad.json", b"{\"schema\": \"FaceAlignments\", ")),
    Case("extract-absurd-existing", ("extract", PLATE, "-o", "a.json"), ("a.json", "frame 1002", "outside"),
         edit_json("a.json", face_field("landmarks", FAR))),
    Case("extract-force-subset-other-options", ("extract", PLATE, "-o", "a.json", "--force", "--frames", "1001"),
         ("a.json", "1002-1004", "would lose")),
    Case("extract-frames-outside", ("extract", PLATE, "-o", "x.json", "--frames", "990-1001"), ("990",)),
    Case("extract-missing-source", ("extract", "none/p.####.exr", "-o", "x.json"), ("none/p.####.exr",)),
    Case("extract-missing-reference", ("extract", PLATE, "-o", "x.json", "--reference", "who.png"), ("who.png",)),
    Case("extract-faces-out-is-file", ("extract", PLATE, "-o", "x.json", "--faces-out", "ref.png"), ("ref.png",)),
    Case("extract-odd-resolution", ("extract", PLATE, "-o", "x.json", "--frames", "1003"),
         ("p.1003.exr", "frame 1003"), odd_frame(1003)),
    Case("extract-output-is-input", ("extract", "ref.png", "-o", "link.json"), ("link.json", "overwrite the input"),
         link("link.json", "ref.png")),
    Case("extract-fan-no-weights", ("extract", PLATE, "-o", "x.json", "--landmarks", "fan2d", "--model-dir", "nowts"),
         ("nowts",)),
    Case("extract-device-bogus", ("extract", PLATE, "-o", "x.json", "--device", "gpu7"), ("--device", "gpu7")),
    Case("extract-no-face-anywhere", ("extract", PLATE, "-o", "new/dir/x.json", "--frames", "1001-1002"),
         (PLATE, "no face found")),
    # alignments
    Case("alignments-info-garbage", ("alignments", "info", "junk.json"), ("junk.json",), garbage("junk.json")),
    Case("alignments-info-nan", ("alignments", "info", "a.json"), ("a.json",),
         edit_json("a.json", face_field("landmarks", [[math.nan, 1.0]] * 68))),
    Case("alignments-info-far", ("alignments", "info", "a.json"), ("a.json", "frame 1002", "far outside"),
         edit_json("a.json", face_field("landmarks_raw", FAR))),
    Case("alignments-info-collapsed", ("alignments", "info", "a.json"), ("a.json", "frame 1002", "collapse"),
         edit_json("a.json", face_field("landmarks", COLLAPSED))),
    Case("alignments-info-singular", ("alignments", "info", "a.json"), ("a.json", "frame 1002", "frame_to_crop"),
         edit_json("a.json", face_field("frame_to_crop", [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]))),
    Case("alignments-info-wrong-matrix", ("alignments", "info", "a.json"), ("a.json", "frame 1002", "frame_to_crop"),
         edit_json("a.json", face_field("frame_to_crop", [[1.0, 0.0, 9000.0], [0.0, 1.0, 0.0]]))),
    Case("alignments-info-keys", ("alignments", "info", "a.json"), ("a.json",),
         edit_json("a.json", lambda d: d["header"].update(frames=[1]))),
    Case("alignments-info-zero-plate", ("alignments", "info", "a.json"), ("a.json", "0x96"),
         edit_json("a.json", lambda d: d["header"].update(width=0))),
    Case("alignments-info-newer", ("alignments", "info", "a.json"), ("a.json", "version"),
         edit_json("a.json", lambda d: d.update(version=99))),
    Case("alignments-merge-overlap", ("alignments", "merge", "a.json", "b.json", "-o", "m.json"),
         ("both hold frame",), lambda root: shutil.copy(root / "a.json", root / "b.json")),
    Case("alignments-merge-onto-shard", ("alignments", "merge", "a.json", "-o", "alias.json"),
         ("alias.json", "overwrite the input"), link("alias.json", "a.json")),
    Case("alignments-export-hardlink", ("alignments", "export", "a.json", "--json", "-o", "copy.json"),
         ("copy.json", "overwrite the input"), hardlink("copy.json", "a.json")),
    # faces
    Case("faces-sort-missing", ("faces", "sort", "nowhere", "--by", "blur"), ("nowhere", "not a face set")),
    Case("faces-sort-dedupe-negative", ("faces", "sort", "faces_a", "--by", "blur", "--dedupe", "-1"), ("--dedupe",)),
    Case("faces-sort-corrupt-index", ("faces", "sort", "faces_a", "--by", "blur"), ("faceset.json", "corrupt"),
         corrupt_index),
    Case("faces-sort-nan-matrix", ("faces", "sort", "faces_a", "--by", "blur"), ("faceset.json", "frame_to_crop"),
         edit_json("faces_a/faceset.json", lambda d: d["faces"][3].update(frame_to_crop=[[math.nan] * 3] * 2))),
    Case("faces-sort-a-file", ("faces", "sort", "ref.png", "--by", "yaw"), ("ref.png", "not a face set folder")),
    # convert
    Case("convert-face-ids-text", (*CONVERT, "-o", "out/s.####.exr", "--face-ids", "abc"), ("face_ids", "'abc'")),
    Case("convert-face-ids-unknown", (*CONVERT, "-o", "out/s.####.exr", "--face-ids", "7"), ("a.json", "no face id 7")),
    Case("convert-erode-huge", (*CONVERT, "-o", "out/s.####.exr", "--erode", "100000"), ("erode",)),
    Case("convert-feather-nan", (*CONVERT, "-o", "out/s.####.exr", "--feather", "nan"), ("feather",)),
    Case("convert-batch-0", (*CONVERT, "-o", "out/s.####.exr", "--batch", "0"), ("batch",)),
    Case("convert-seed-negative", (*CONVERT, "-o", "out/s.####.exr", "--seed", "-1"), ("seed",)),
    Case("convert-model-missing", ("convert", PLATE, "--alignments", "a.json", "--model", "nomodel", "-o",
                                   "out/s.####.exr"), ("nomodel", "not a facegraft model")),
    Case("convert-weights-truncated", (*CONVERT, "-o", "out/s.####.exr"), ("model.safetensors",),
         truncate("model/model.safetensors", 100)),
    Case("convert-other-plate", ("convert", "other/p.####.exr", "--alignments", "a.json", "--model", "model", "-o",
                                 "out/s.####.exr"), ("a.json", "96x96", "64x48"), other_plate),
    Case("convert-symlinked-folder-force", (*CONVERT, "-o", "alias/p.####.exr", "--force"),
         ("overwrite the input",), link("alias", "plate")),
    Case("convert-output-frame-is-folder", (*CONVERT, "-o", "out/s.####.exr"), ("out/s.1002.exr", "is a folder"),
         folder("out/s.1002.exr")),
    Case("convert-frames-not-extracted", (*CONVERT, "-o", "out/s.####.exr", "--frames", "1001-1004"),
         ("a.json", "1003"), edit_json("a.json", lambda d: (d["frames"].pop("1003"), d["header"].update(
             frames=[1001, 1002, 1004])))),
    Case("convert-absurd-landmarks", (*CONVERT, "-o", "out/s.####.exr"), ("a.json", "frame 1002"),
         edit_json("a.json", face_field("landmarks", FAR))),
    Case("convert-odd-resolution", (*CONVERT, "-o", "out/s.####.exr"), ("p.1004.exr", "frame 1004"), odd_frame(1004),
         may_write=("out", "out/s.100[123].exr")),
    Case("convert-model-is-a-file", ("convert", PLATE, "--alignments", "a.json", "--model", "model/config.json",
                                     "-o", "out/s.####.exr"), ("model/config.json",)),
    Case("convert-alignments-folder", ("convert", PLATE, "--alignments", "plate", "--model", "model", "-o",
                                       "out/s.####.exr"), ("plate",)),
    Case("convert-device-cuda", (*CONVERT, "-o", "out/s.####.exr", "--device", "cuda"), ("cuda",)),
    Case("convert-device-bogus", (*CONVERT, "-o", "out/s.####.exr", "--device", "gpu7"), ("gpu7",)),
    Case("convert-model-config-edited", (*CONVERT, "-o", "out/s.####.exr"), ("model/config.json",),
         edit_json("model/config.json", lambda d: d["model"].update(resolution=7))),
    Case("convert-model-unknown-layout", (*CONVERT, "-o", "out/s.####.exr"), ("model/config.json", "gan9"),
         edit_json("model/config.json", lambda d: d["model"].update(architecture="gan9"))),
    Case("convert-gray-plate", ("convert", "gray/p.####.exr", "--alignments", "a.json", "--model", "model", "-o",
                                "out/s.####.exr"), ("p.1001.exr",),
         lambda root: write_plate(root / "gray", channels=1)),
    # train
    Case("train-iterations-negative", (*TRAIN[:-4], "--iterations", "-1"), ("--iterations",)),
    Case("train-lr-nan", (*TRAIN, "--lr", "nan"), ("--lr", "finite")),
    Case("train-lr-zero", (*TRAIN, "--lr", "0"), ("--lr",)),
    Case("train-workers-negative", (*TRAIN, "--workers", "-1"), ("--workers",)),
    Case("train-gan-weight-negative", (*TRAIN, "--gan-weight", "-0.1"), ("--gan-weight",)),
    Case("train-gan-weight-nan", (*TRAIN, "--gan-weight", "nan"), ("--gan-weight", "finite")),
    Case("train-gan-from-1", (*TRAIN, "--gan-weight", "0.1", "--gan-from", "1"), ("--gan-from",)),
    Case("train-gan-from-without-weight", (*TRAIN, "--gan-from", "0.5"), ("--gan-from", "--gan-weight")),
    Case("train-batch-0", (*TRAIN[:-2], "--batch", "0"), ("--batch",)),
    Case("train-minutes-inf", (*TRAIN[:-4], "--minutes", "inf"), ("--minutes",)),
    Case("train-save-minutes-negative", (*TRAIN, "--save-minutes", "-1"), ("--save-minutes",)),
    Case("train-preview-every-0", (*TRAIN, "--preview-every", "0"), ("--preview-every",)),
    Case("train-resolution-odd", (*TRAIN, "--resolution", "72"), ("resolution", "72")),
    Case("train-into-faceset", ("train", "--a", "faces_a", "--b", "faces_b", "-o", "faces_a", "--iterations", "1"),
         ("faces_a", "overwrite the input")),
    Case("train-missing-faceset", ("train", "--a", "nowhere", "--b", "faces_b", "-o", "m", "--iterations", "1"),
         ("nowhere", "not a face set")),
    Case("train-corrupt-faceset", TRAIN, ("faceset.json", "corrupt"), corrupt_index),
    Case("train-resume-nothing", ("train", "--a", "faces_a", "--b", "faces_b", "-o", "empty_model", "--iterations",
                                  "1", "--resume"), ("empty_model", "no checkpoint"), empty_training_folder),
    Case("train-into-a-file", ("train", "--a", "faces_a", "--b", "faces_b", "-o", "ref.png", "--iterations", "1"),
         ("ref.png",)),
    Case("train-from-missing-base", (*TRAIN, "--from", "nowhere"), ("nowhere",)),
    Case("train-into-its-base", ("train", "--a", "faces_a", "--b", "faces_b", "-o", "faces_b", "--from", "faces_b",
                                 "--iterations", "1"), ("faces_b", "overwrite the input")),
    Case("pretrain-into-faceset", ("pretrain", "faces_a", "faces_b", "-o", "faces_b", "--iterations", "1"),
         ("faces_b", "overwrite the input")),
    Case("pretrain-one-identity", ("pretrain", "faces_a", "-o", "base", "--iterations", "1"), ("at least two",)),
    Case("pretrain-minutes-negative", ("pretrain", "faces_a", "faces_b", "-o", "base", "--minutes", "-1"),
         ("--minutes",)),
    Case("train-device-cuda", (*TRAIN, "--device", "cuda"), ("cuda",)),
    Case("train-device-bogus", (*TRAIN, "--device", "gpu7"), ("gpu7",)),
    Case("train-faceset-size-0", TRAIN, ("faces_a",), edit_json("faces_a/faceset.json", lambda d: d.update(size=0))),
    Case("train-faceset-huge-size", TRAIN, ("faces_a", "100000"),
         edit_json("faces_a/faceset.json", lambda d: d.update(size=100000))),
    Case("train-missing-crop", TRAIN, ("000003_0.png",), lambda root: (root / "faces_a/faces/000003_0.png").unlink()),
    # export
    Case("export-onto-weights", ("export", "model", "-o", "w.pt"), ("w.pt", "overwrite the input"),
         link("w.pt", "model/model.safetensors")),
    Case("export-unknown-format", ("export", "model", "-o", "w.zip"), ("w.zip", ".pt")),
    Case("export-no-model", ("export", "nomodel", "-o", "w.pt"), ("nomodel",)),
    # node
    Case("node-unknown", ("node", "run", "Nope", "--input", PLATE, "-o", "out/n.####.exr"), ("Nope",)),
    Case("node-param-nan", ("node", "run", "Sharpen", "--input", f"image={PLATE}", "--input", f"matte={PLATE}:A",
                            "-o", "out/n.####.exr", "--set", "amount=nan"), ("amount",)),
    Case("node-symlinked-output", ("node", "run", "Sharpen", "--input", f"image={PLATE}", "--input",
                                   f"matte={PLATE}:A", "-o", "alias/p.####.exr", "--force"),
         ("overwrite the input",), link("alias", "plate")),
    Case("node-workers-negative", ("node", "run", "Sharpen", "--input", f"image={PLATE}", "-o", "o.####.exr",
                                   "--workers", "-1"), ("--workers",)),
    Case("node-nk-face-id-negative", ("node", "nk", "a.json", "-o", "f.nk", "--face-id", "-1"), ("--face-id",)),
    Case("node-nk-onto-alignments", ("node", "nk", "a.json", "-o", "a.nk"), ("a.nk", "overwrite the input"),
         link("a.nk", "a.json")),
    Case("node-missing-layer", ("node", "run", "Sharpen", "--input", f"image={PLATE}", "--input", f"matte={PLATE}:Z",
                                "-o", "out/n.####.exr"), ("p.1001.exr",)),
    Case("node-set-garbage", ("node", "run", "Sharpen", "--input", f"image={PLATE}", "--input", f"matte={PLATE}:A",
                              "-o", "out/n.####.exr", "--set", "amount"), ("amount",)),
    # farm
    Case("farm-chunk-0", ("farm", "submit", "--dry-run", "--chunk", "0", "media", "convert", PLATE, "o/o.####.exr"),
         ("--chunk",)),
    Case("farm-planned-onto-input", ("farm", "submit", "--dry-run", "--engine", "deadline", "media", "convert", PLATE,
                                     "alias/p.####.exr", "--force"), ("overwrite the input",), link("alias", "plate")),
    Case("farm-shot-onto-plate", ("farm", "submit-shot", PLATE, "--alignments", "b.json", "--model", "model",
                                  "-o", "alias/p.####.exr", "--dry-run", "--engine", "deadline"),
         ("overwrite the input",), link("alias", "plate")),
    Case("farm-job-dir-is-a-file", ("farm", "submit", "--engine", "deadline", "--dry-run", "--job-dir", "ref.png",
                                    "media", "convert", PLATE, "o/o.####.exr"), ("ref.png", "--job-dir")),
    Case("farm-task-no-job", ("farm", "task", "nojob", "--layer", "x"), ("nojob",)),
    Case("farm-status-no-job", ("farm", "status", "nojob"), ("nojob",)),
    # files of facegraft's own formats holding JSON of another shape
    Case("json-list-alignments", ("alignments", "info", "a.json"), ("a.json",), garbage("a.json", b"[1, 2]")),
    Case("json-list-faceset", ("faces", "sort", "faces_a", "--by", "blur"), ("faceset.json",),
         garbage("faces_a/faceset.json", b"[]")),
    Case("json-list-model", (*CONVERT, "-o", "out/s.####.exr"), ("config.json",), garbage("model/config.json", b"[]")),
    Case("json-list-checkpoint", ("train", "--a", "faces_a", "--b", "faces_b", "-o", "model", "--iterations", "1",
                                  "--resume"), ("state.json",),
         several(folder("model/training"), garbage("model/training/state.json", b"[]"))),
    Case("json-list-farm-job", ("farm", "status", "job"), ("job.json",), garbage("job/job.json", b"[]")),
    Case("json-list-farm-record", ("farm", "submit", "--dry-run", "--engine", "deadline", "media", "convert", PLATE,
                                   "o/o.####.exr"), ("facegraft-job.json",), garbage("o/facegraft-job.json", b"[]")),
    Case("json-list-project", ("swap", "--resume", "-o", "proj"), ("project.json",),
         garbage("proj/project.json", b"[]")),
    # eval, check-pair, swap
    Case("eval-face-id-negative", ("eval", "--swapped", PLATE, "--source", "a.json", "--target", PLATE,
                                   "--face-id", "-1"), ("--face-id",)),
    Case("eval-sizes-differ", ("eval", "--swapped", "other/p.####.exr", "--source", "faces_a", "--target", PLATE),
         ("other/p.####.exr", "64x48"), other_plate),
    Case("check-pair-tolerance-0", ("check-pair", "faces_a", "faces_b", "--pose-tolerance", "0"),
         ("--pose-tolerance",)),
    # mask
    Case("mask-train-missing", ("mask", "train", "nowhere", "-o", "mm"), ("nowhere", "not a face set")),
    Case("mask-train-steps-0", ("mask", "train", "faces_a", "-o", "mm", "--steps", "0"), ("--steps",)),
    Case("mask-train-resolution-odd", ("mask", "train", "faces_a", "-o", "mm", "--resolution", "100"),
         ("--resolution", "multiple of 8")),
    Case("mask-train-lr-nan", ("mask", "train", "faces_a", "-o", "mm", "--lr", "nan"), ("--lr",)),
    Case("mask-train-matte-missing", ("mask", "train", "faces_a", "-o", "mm", "--matte", "roto/r.####.png"),
         ("roto/r.####.png", "no frames found")),
    Case("mask-train-two-mattes-one-faceset", ("mask", "train", "faces_a", "-o", "mm", "--matte", "r.####.png",
                                               "--matte", "s.####.png"), ("--matte", "one per face set")),
    Case("mask-train-matte-plate-gone", ("mask", "train", "faces_a", "-o", "mm", "--matte", "roto/r.####.png"),
         ("synthetic", "cannot be opened"), setup=roto_frame("roto/r.0001.png")),
    Case("mask-train-matte-no-alpha", ("mask", "train", "faces_a", "-o", "mm", "--matte", "roto/r.####.png"),
         ("r.0001.png", "no alpha"), setup=roto_frame("roto/r.0001.png", channels=3)),
    Case("mask-train-matte-stray-frame", ("mask", "train", "faces_a", "-o", "mm", "--matte", "roto/r.####.png"),
         ("frame 99", "has no face"), setup=roto_frame("roto/r.0099.png")),
    Case("mask-train-resume-swap-model", ("mask", "train", "faces_a", "-o", "model", "--resume"),
         ("model", "not a FacegraftMaskModel")),
    Case("mask-matte-missing-model", ("mask", "matte", PLATE, "--alignments", "a.json", "--mask-model", "nowhere",
                                      "-o", "out/m.####.exr"), ("nowhere", "not a mask model")),
    Case("mask-matte-feather-nan", ("mask", "matte", PLATE, "--alignments", "a.json", "--mask-model", "mm",
                                    "-o", "out/m.####.exr", "--feather", "nan"), ("feather",)),
    Case("convert-mask-segment-no-model", (*CONVERT, "-o", "out/s.####.exr", "--mask", "segment"),
         ("segment", "--mask-model")),
    Case("convert-mask-model-missing", (*CONVERT, "-o", "out/s.####.exr", "--mask-model", "nowhere"),
         ("nowhere", "not a mask model")),
    Case("extract-mask-model-without-faces-out", ("extract", PLATE, "-o", "x.json", "--mask-model", "model"),
         ("--mask-model", "--faces-out")),
    Case("check-pair-missing", ("check-pair", "faces_a", "nowhere"), ("nowhere",)),
    Case("eval-missing-source", ("eval", "--swapped", PLATE, "--source", "nowhere.mp4", "--target", PLATE),
         ("nowhere.mp4",)),
    Case("swap-resume-nothing", ("swap", "--resume", "-o", "noproject"), ("noproject",)),
    Case("swap-device-bogus", ("swap", "--source", "ref.png", "--target", PLATE, "-o", "proj", "--device", "gpu7"),
         ("gpu7",)),
    Case("swap-iterations-0", ("swap", "--source", "ref.png", "--target", PLATE, "-o", "proj", "--iterations", "0"),
         ("--iterations",)),
    Case("swap-into-plate-folder", ("swap", "--source", "ref.png", "--target", "plate/p.1001.exr", "-o",
                                    "plate/p.1001.exr"), ("p.1001.exr",)),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_world(tmp_path_factory.mktemp("world"))


def _matches(name: str, globs: tuple[str, ...]) -> bool:
    from fnmatch import fnmatch
    return any(fnmatch(name, g) for g in globs)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_a_clean_error(case: Case, world: Path, tmp_path: Path, capfd, monkeypatch,
                                    fuzz_totals: list) -> None:
    root = tmp_path / "w"
    shutil.copytree(world, root, symlinks=True)
    if case.setup is not None:
        case.setup(root)
    monkeypatch.chdir(root)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    before = tree_digest(root)
    outcome = {"case": case.id, "clean": False, "traceback": False, "inputs_changed": False, "leftovers": False}
    fuzz_totals.append(outcome)
    try:
        code = main(list(case.argv))
    except BaseException:
        outcome["traceback"] = True
        raise
    err = capfd.readouterr().err  # file-descriptor level: a C library's warning counts as a line too
    after = tree_digest(root)
    lines = err.strip().splitlines()
    outcome["clean"] = (code == 2 and len(lines) == 1 and lines[0].startswith("facegraft: error: ")
                        and all(fragment in lines[0] for fragment in case.expect))
    outcome["inputs_changed"] = any(after.get(name) != digest for name, digest in before.items())
    new = sorted(set(after) - set(before))
    outcome["leftovers"] = bool(leftovers(root)) or any(not _matches(n, case.may_write) for n in new)
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("facegraft: error: "), err
    for fragment in case.expect:
        assert fragment in lines[0], lines[0]
    assert not outcome["inputs_changed"], [n for n, d in before.items() if after.get(n) != d]
    assert not leftovers(root), leftovers(root)
    assert all(_matches(n, case.may_write) for n in new), new


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 60
    verbs = {c.argv[0] for c in CASES}
    assert verbs >= {"info", "media", "extract", "alignments", "faces", "convert", "train", "pretrain", "export", "node",
                     "farm", "eval", "check-pair", "swap"}
