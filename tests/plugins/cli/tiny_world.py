"""A tiny, complete set of facegraft inputs made in a second, for the fuzz and kill tests.

Not a test module (no test_ prefix). Everything is synthetic except what the kill tests of
extract need (real faces, from the media folder): an EXR plate, its alignments, a tiny model,
two face sets and a reference image, all small enough that a verb fails or finishes in well
under a second.
"""
import hashlib
import os
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

from facegraft.core.align.geometry import FaceCrop
from facegraft.core.alignments.format import Alignments, AlignmentsHeader, FaceAlignment, save_alignments
from facegraft.core.faceset import FaceSetWriter
from facegraft.core.media.image_io import new_image, write_image
from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import save_model
from facegraft.core.models.registry import create_model

sys.path.insert(0, str(Path(__file__).parents[2] / "core" / "convert"))
from convert_helpers import mean_face_landmarks  # noqa: E402

PLATE_SIZE = 96
FRAMES = (1001, 1002, 1003, 1004)
TINY_MODEL = ModelConfig("df", resolution=64, encoder_width=4, bottleneck_dims=8, decoder_width=4, decoder_depth=0)


def plate_pixels(frame: int, *, width: int = PLATE_SIZE, height: int = PLATE_SIZE, channels: int = 4) -> np.ndarray:
    """(H, W, C) float32: a smooth, frame-dependent gradient with a bright disc where the face is."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([x / width, y / height, np.full_like(x, 0.2 + 0.01 * (frame % 7))], axis=2)
    disc = ((x - width / 2) ** 2 + (y - height / 2) ** 2 < (0.3 * width) ** 2).astype(np.float32)
    rgb += 0.5 * disc[..., None]
    planes = [rgb] + ([np.ones((height, width, 1), np.float32)] if channels == 4 else [])
    return np.ascontiguousarray(np.concatenate(planes, axis=2)[..., :channels])


def write_plate(folder: Path, frames=FRAMES, **kwargs) -> str:
    """An RGBA half-float EXR sequence `folder/p.####.exr`; returns the pattern."""
    folder.mkdir(parents=True, exist_ok=True)
    for frame in frames:
        pixels = plate_pixels(frame, **kwargs)
        names = ("R", "G", "B", "A")[:pixels.shape[2]]
        write_image(folder / f"p.{frame}.exr", new_image(pixels, names, pixel_type="half"))
    return str(folder / "p.####.exr")


def write_alignments(path: Path, frames=FRAMES, *, size: int = 64, width: int = PLATE_SIZE,
                     height: int = PLATE_SIZE) -> Path:
    """Alignments of one face per frame near the plate's centre (mean-face landmarks, no detector)."""
    header = AlignmentsHeader("plate", width, height, "test", "test", "test", "full", size)
    faces = {}
    for frame in frames:
        points = mean_face_landmarks(center=(width / 2, height / 2 - 2 + frame % 3), scale=width / 3.2)
        crop = FaceCrop.from_landmarks(points, size=size, face_type="full")
        box = np.array([*points.min(0), *points.max(0)])
        faces[frame] = (FaceAlignment(0, box, 1.0, True, points, points, crop.frame_to_crop, np.zeros(128)),)
    return save_alignments(Alignments(header, faces), path)


def write_model(folder: Path, config: ModelConfig = TINY_MODEL, *, seed: int = 0) -> Path:
    """A tiny untrained model folder (what convert and export read)."""
    torch.manual_seed(seed)
    return save_model(create_model(config), config, folder, training_state={"iteration": 0})


def write_faceset(folder: Path, *, count: int = 14, size: int = 64, seed: int = 0) -> Path:
    """`count` synthetic faces (smooth random colours, an elliptic mask, mean-face landmarks)."""
    rng = np.random.default_rng(seed)
    writer = FaceSetWriter(folder, size=size, face_type="full")
    points = mean_face_landmarks(center=(size / 2, size / 2), scale=size / 3.0, angle=0.0)
    mask = np.zeros((size, size), np.float32)
    cv2.ellipse(mask, (size // 2, size // 2), (size // 3, size * 2 // 5), 0, 0, 360, 1.0, -1)
    for i in range(count):
        small = rng.random((4, 4, 3)).astype(np.float32)
        crop = cv2.resize(small, (size, size), interpolation=cv2.INTER_CUBIC).clip(0, 1)
        writer.add(crop=crop, mask=mask, source="synthetic", frame=i + 1, face_id=0,
                   frame_to_crop=np.array([[1.0, 0, 0], [0, 1.0, 0]]), landmarks=points)
    writer.save()
    return folder


def write_reference(path: Path) -> Path:
    cv2.imwrite(str(path), (plate_pixels(1, channels=3)[..., ::-1] * 200).astype(np.uint8))
    return path


def run_cli(argv: list[str]) -> None:
    """The body of a kill test's child process: the facegraft command, exiting with its status."""
    from facegraft.plugins.cli.main import main

    sys.exit(main(argv))


def build_world(root: Path) -> Path:
    """Every input the fuzz cases start from, under `root`."""
    write_plate(root / "plate")
    write_alignments(root / "a.json")
    write_model(root / "model")
    write_faceset(root / "faces_a", seed=1)
    write_faceset(root / "faces_b", seed=2)
    write_reference(root / "ref.png")
    return root


def tree_digest(root: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `root` (symlinks as their target text), folders as "dir"."""
    digest = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            path = Path(folder) / name
            digest[str(path.relative_to(root))] = "link:" + os.readlink(path) if path.is_symlink() else "dir"
        for name in files:
            path = Path(folder) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                digest[rel] = "link:" + os.readlink(path)
            else:
                digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digest


def leftovers(root: Path) -> list[str]:
    """Temporaries and lock files under `root` (what no run may leave behind)."""
    return sorted(str(p.relative_to(root)) for p in root.rglob(".*")
                  if ".tmp-" in p.name or p.name.endswith(".lock"))
