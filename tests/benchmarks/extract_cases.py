"""The faces bench_extract.py measures on: annotated photos (dlib XML, iBUG .pts, menpo .ljson),
the hard detection cases of the shared media, and video frames.

Annotation conventions: dlib XML parts are integer pixel indices (+0.5 → our pixel centres); iBUG
.pts are 1-based pixel centres (-0.5); menpo .ljson points are (y, x), 0-based pixel centres (+0.5).
"""
import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from facegraft.core.media.video import read_video

FACES = Path(os.environ.get("FACEGRAFT_FACES_DIR", Path(__file__).resolve().parents[3] / "shared" / "data" / "faces"))
CLIPS = FACES / "KwaiVGI__LivePortrait" / "assets" / "examples" / "driving"
SOURCES = FACES / "KwaiVGI__LivePortrait" / "assets" / "examples" / "source"
EXAMPLES = FACES / "ageitgey__face_recognition" / "examples"
XML_DIR = FACES / "davisking__dlib" / "examples" / "faces"


@dataclass(frozen=True)
class Annotated:
    """One annotated face: `set` name, image (H, W, 3) uint8 RGB, box (4,), points (68, 2) frame px."""

    set: str
    name: str
    image: np.ndarray
    box: np.ndarray
    points: np.ndarray


def load_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(path)
    return np.ascontiguousarray(image[..., ::-1])


def xml_faces(path: Path) -> list[Annotated]:
    out = []
    for image in ET.parse(path).getroot().iter("image"):
        pixels = load_rgb(path.parent / image.get("file"))
        for box in image.iter("box"):
            left, top = float(box.get("left")), float(box.get("top"))
            b = np.array([left, top, left + float(box.get("width")), top + float(box.get("height"))])
            parts = sorted(box.iter("part"), key=lambda p: int(p.get("name")))
            pts = np.array([[float(p.get("x")) + 0.5, float(p.get("y")) + 0.5] for p in parts])
            out.append(Annotated(path.stem.split("_")[0], image.get("file"), pixels, b, pts))
    return out


def annotated_dir(folder: Path) -> list[Annotated]:
    """Faces of a folder of images with iBUG `.pts` (68 points) or menpo `.ljson` beside them."""
    out = []
    for image_path in sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png", ".ppm")):
        pts_file, ljson = image_path.with_suffix(".pts"), image_path.with_suffix(".ljson")
        if pts_file.is_file():
            text = pts_file.read_text().split("{")[1].split("}")[0]
            points = np.array(text.split(), float).reshape(-1, 2) - 0.5
        elif ljson.is_file():
            group = json.loads(ljson.read_text())["groups"]["LJSON"]
            points = np.array(group["landmarks"]["points"], float)[:, ::-1] + 0.5
        else:
            continue
        if points.shape != (68, 2):
            continue
        out.append(Annotated("annotated", image_path.stem, load_rgb(image_path),
                             np.r_[points.min(0), points.max(0)], points))
    return out


def video_frames(path: Path, frames: list[int]) -> list[np.ndarray]:
    return [np.ascontiguousarray((np.clip(px, 0, 1) * 255 + 0.5).astype(np.uint8))
            for _, px in read_video(path, frames=frames)]


def rotated(image: np.ndarray, degrees: float) -> np.ndarray:
    """The image rotated about its centre (counter-clockwise on screen), same size, black corners."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return np.ascontiguousarray(cv2.warpAffine(image, matrix, (w, h)))


def hard_cases(quick: bool, annotated: list[Annotated]) -> dict[str, tuple[list[np.ndarray], int | None]]:
    """name → (images, faces each image shows, None when unknown or varying)."""
    step = 30 if quick else 10
    stills = [load_rgb(EXAMPLES / "obama.jpg"), load_rgb(CLIPS / "d19.jpg"), load_rgb(CLIPS / "d9.jpg"),
              load_rgb(CLIPS / "d8.jpg")]
    cases = {
        "two_people.jpg": ([load_rgb(EXAMPLES / "two_people.jpg")], 2),
        "bald_guys.jpg": ([load_rgb(XML_DIR / "bald_guys.jpg")], 24),
        "stage clip (hamilton)": (video_frames(EXAMPLES / "short_hamilton_clip.mp4", list(range(1, 276, step))), None),
        "full body (s13)": (video_frames(SOURCES / "s13.mp4", list(range(1, 104, step))), 1),
        "tall frame (s29)": (video_frames(SOURCES / "s29.mp4", list(range(1, 161, step * 2))), 1),
        "turned head (d3)": (video_frames(CLIPS / "d3.mp4", list(range(1, 355, step))), 1),
    }
    for degrees in (30, 45, 60):
        cases[f"stills rotated {degrees}"] = ([rotated(s, degrees) for s in stills], 1)
    for face in annotated:
        cases[f"annotated {face.name}"] = ([face.image], None)
    return cases


def iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)
