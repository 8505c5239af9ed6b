"""BlazeFace face detectors (MediaPipe, Apache-2.0): SSD anchors, box decoding, weighted NMS, tiles.

Two networks ship in the mediapipe 0.10.21 wheel (see `model_files`):
- short range: 128 x 128 input, anchors on strides 8 (2 per cell) and 16 (6 per cell), 896 boxes;
  faces within ~2 m of the camera (selfie framing).
- full range (sparse): 192 x 192 input, stride 4 (1 per cell), 2304 boxes; faces up to ~5 m.
Both take RGB scaled to [-1, 1], letterboxed (aspect kept, black padding), and return per anchor
16 regression values and one score logit. The settings reproduce MediaPipe's graphs
(`face_detection_short_range.pbtxt`, `face_detection_full_range.pbtxt`): anchors with fixed size 1,
centres at ((x + 0.5) / fw, (y + 0.5) / fh); box centre = raw / input_size + anchor, box size =
raw / input_size; 6 keypoints (subject's right eye, left eye, nose tip, mouth centre, right ear
tragion, left ear tragion) decoded like centres; score = sigmoid(logit clipped to ±100); weighted
non-maximum suppression at IoU 0.3.

Small faces: one pass sees the whole frame at 192 px, so a 1080p frame shrinks 10 times and faces
under ~140 px are lost. `min_face` adds passes over overlapping square windows (`tile_windows`)
until a face of that width spans >= 14 input px; detections cut by a window's inner edge are
dropped, and all windows' detections are merged by the same weighted NMS.

Convention: full-frame pixels, x right, y down, origin at the top-left corner of the top-left
pixel (pixel i covers [i, i+1)). Normalised coordinates: [0, 1] across the network's input square.
"""
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from facegraft.core.detect.model_files import MP_FACE_DETECTION_FULL, MP_FACE_DETECTION_SHORT, mediapipe_model_path
from facegraft.core.detect.tflite_model import TfliteModel
from facegraft.core.detect.types import Detection, box_ious, check_detection_image

NMS_IOU = 0.3
KEYPOINTS = ("right_eye", "left_eye", "nose_tip", "mouth_center", "right_ear", "left_ear")
MIN_INPUT_FACE = 14.0  # faces this wide in the network's input are found reliably (12 px: 18/18 test faces)
MIN_FACE = 80.0  # default smallest face to find, frame px (dlib HOG's window)
_OVERLAP = 0.35  # neighbouring windows share this fraction of a side
_EDGE = 0.02  # a tile detection this close (fraction of the tile) to an inner tile edge is cut off


@dataclass(frozen=True)
class BlazeFaceConfig:
    """One BlazeFace network: its file, input side, anchor strides, anchors per layer and cell
    (1 + one interpolated-scale anchor when MediaPipe's `interpolated_scale_aspect_ratio` > 0),
    and the score above which a box counts (MediaPipe's `min_score_thresh`)."""

    model_file: str
    input_size: int
    strides: tuple[int, ...]
    anchors_per_layer: int
    min_score: float


SHORT_RANGE = BlazeFaceConfig(MP_FACE_DETECTION_SHORT, 128, (8, 16, 16, 16), 2, 0.5)
FULL_RANGE = BlazeFaceConfig(MP_FACE_DETECTION_FULL, 192, (4,), 1, 0.5)  # MediaPipe's Python default


def anchor_centers(input_size: int, strides: tuple[int, ...], anchors_per_layer: int) -> np.ndarray:
    """SSD anchor centres (fixed anchor size), in the network's output order.

    Consecutive layers with the same stride share one grid; each cell holds `anchors_per_layer`
    anchors per layer of the group. Returns: (N, 2) float64 (x, y), normalised to [0, 1].
    """
    centers = []
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        group = 1
        while layer + group < len(strides) and strides[layer + group] == stride:
            group += 1
        cells = int(np.ceil(input_size / stride))
        ys, xs = np.meshgrid((np.arange(cells) + 0.5) / cells, (np.arange(cells) + 0.5) / cells, indexing="ij")
        grid = np.stack([xs.ravel(), ys.ravel()], -1)
        centers.append(np.repeat(grid, group * anchors_per_layer, axis=0))
        layer += group
    return np.concatenate(centers)


def decode_boxes(raw: np.ndarray, logits: np.ndarray, anchors: np.ndarray, *,
                 input_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Turn the network's regression values and logits into boxes, keypoints and scores.

    Args:
        raw: (N, 16) float: box centre x, y, width, height, then 6 keypoints (x, y), in input px
            relative to the anchor. logits: (N,) or (N, 1). anchors: (N, 2) from `anchor_centers`.
        input_size: the network's input side in px.
    Returns: boxes (N, 4) x0, y0, x1, y1; keypoints (N, 6, 2); scores (N,) in (0, 1). Coordinates
        normalised to the input square.
    """
    raw = np.asarray(raw, np.float64).reshape(len(anchors), 16)
    scale = 1.0 / input_size
    center = raw[:, 0:2] * scale + anchors
    half = raw[:, 2:4] * (scale / 2)
    boxes = np.concatenate([center - half, center + half], axis=1)
    keypoints = raw[:, 4:16].reshape(-1, 6, 2) * scale + anchors[:, None, :]
    scores = 1.0 / (1.0 + np.exp(-np.clip(np.asarray(logits, np.float64).reshape(-1), -100.0, 100.0)))
    return boxes, keypoints, scores


def weighted_nms(boxes: np.ndarray, keypoints: np.ndarray, scores: np.ndarray, *,
                 iou_threshold: float = NMS_IOU) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MediaPipe's weighted non-maximum suppression ("blending").

    Repeatedly take the best remaining box and every remaining box overlapping it by IoU >
    `iou_threshold` (itself included); output their score-weighted mean box and keypoints with the
    best score. Args: boxes (N, 4), keypoints (N, K, 2), scores (N,) any units, same for all.
    Returns: (M, 4), (M, K, 2), (M,) float64, best first (M <= N).
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    keypoints = np.asarray(keypoints, np.float64)
    scores = np.asarray(scores, np.float64).reshape(-1)
    if keypoints.ndim != 3 or keypoints.shape[0] != len(boxes) or keypoints.shape[2] != 2 or len(scores) != len(boxes):
        raise ValueError(f"need boxes (N, 4), keypoints (N, K, 2), scores (N,); got {boxes.shape}, "
                         f"{keypoints.shape}, {scores.shape}")
    remaining = np.argsort(-scores, kind="stable")
    out_boxes, out_points, out_scores = [], [], []
    while len(remaining):
        best = remaining[0]
        overlap = box_ious(boxes[best], boxes[remaining]) > iou_threshold
        overlap[0] = True
        group, remaining = remaining[overlap], remaining[~overlap]
        weights = scores[group] / max(scores[group].sum(), 1e-12)
        out_boxes.append(weights @ boxes[group])
        out_points.append(np.tensordot(weights, keypoints[group], axes=1))
        out_scores.append(scores[best])
    k = keypoints.shape[1]
    return (np.array(out_boxes).reshape(-1, 4), np.array(out_points).reshape(-1, k, 2), np.array(out_scores))


def tile_windows(width: int, height: int, *, min_face: float, input_size: int) -> list[tuple[int, int, int]]:
    """Square windows (x0, y0, side) in which every face at least `min_face` px wide is whole in one
    window where it spans >= `MIN_INPUT_FACE` input px.

    Level 0 is the whole frame; then squares of side min(width, height), halved each level until a
    level's side is <= min_face * input_size / MIN_INPUT_FACE. A level's squares are spread evenly
    over the frame with at least `_OVERLAP` of a side shared between neighbours.
    """
    if width < 1 or height < 1 or min_face <= 0:
        raise ValueError(f"need a positive frame size and min_face, got {width}x{height}, {min_face}")
    largest = min_face * input_size / MIN_INPUT_FACE
    windows = [(0, 0, max(width, height))]
    side = min(width, height)
    while windows[-1][2] > largest and side >= 16:
        windows += [(x, y, side) for y in _spread(height, side) for x in _spread(width, side)]
        side //= 2
    return windows


def _spread(length: int, side: int) -> list[int]:
    """Starts of windows of `side` covering [0, length), evenly spaced, overlapping >= _OVERLAP."""
    if length <= side:
        return [0]
    count = int(np.ceil((length - side) / (side * (1 - _OVERLAP)))) + 1
    return [round(i * (length - side) / (count - 1)) for i in range(count)]


def letterbox(image: np.ndarray, window: tuple[int, int, int], size: int) -> tuple[np.ndarray, float, np.ndarray]:
    """Cut `window` (x0, y0, side) out of `image`, scale its long side to `size` (area resampling when
    shrinking), pad it black at the bottom/right. Returns (size, size, 3) uint8, the scale (input px
    per frame px) and the window's top-left (2,) in frame px."""
    x0, y0, side = window
    cut = image[y0:y0 + side, x0:x0 + side]
    scale = size / max(cut.shape[0], cut.shape[1])
    w, h = max(1, round(cut.shape[1] * scale)), max(1, round(cut.shape[0] * scale))
    resized = cv2.resize(cut, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas = np.zeros((size, size, 3), np.uint8)
    canvas[:h, :w] = resized
    return canvas, scale, np.array([x0, y0], np.float64)


@dataclass
class BlazeFaceDetector:
    """MediaPipe BlazeFace (short or full range) as a `FaceDetector`.

    config: `SHORT_RANGE` or `FULL_RANGE`. min_face: smallest face width to find, frame px (more
    windows for smaller faces; None: one pass over the whole frame).
    min_score: score threshold (None: the network's MediaPipe default). Scores are probabilities;
    each detection's roll comes from its two eye keypoints.
    """

    config: BlazeFaceConfig = FULL_RANGE
    min_face: float | None = MIN_FACE
    min_score: float | None = None
    threads: int = 1
    name: str = "blazeface"
    _model: Any = field(default=None, init=False, repr=False)  # a TfliteModel, loaded in __post_init__
    _anchors: Any = field(default=None, init=False, repr=False)  # (N, 2) anchor_centers of the config

    def __post_init__(self) -> None:
        if self.min_face is not None and self.min_face <= 0:
            raise ValueError(f"min_face must be > 0 px, got {self.min_face}")
        self._model = TfliteModel(mediapipe_model_path(self.config.model_file), threads=self.threads)
        c = self.config
        self._anchors = anchor_centers(c.input_size, c.strides, c.anchors_per_layer)

    def __call__(self, image: np.ndarray) -> list[Detection]:
        """image (H, W, 3) uint8 sRGB → faces, best first (boxes in frame px; see module Convention)."""
        check_detection_image(image)
        height, width = image.shape[:2]
        threshold = self.config.min_score if self.min_score is None else self.min_score
        windows = ([(0, 0, max(width, height))] if self.min_face is None else
                   tile_windows(width, height, min_face=self.min_face, input_size=self.config.input_size))
        found = [self._detect_window(image, window, threshold) for window in windows]
        boxes, points, scores = (np.concatenate([f[i] for f in found]) for i in range(3))
        boxes, points, scores = weighted_nms(boxes, points, scores)
        eyes = points[:, 1] - points[:, 0]  # image-left eye (the subject's right) to image-right eye
        rolls = np.arctan2(eyes[:, 1], eyes[:, 0])
        return [Detection((float(b[0]), float(b[1]), float(b[2]), float(b[3])), float(s), float(r))
                for b, s, r in zip(boxes, scores, rolls)]

    def _detect_window(self, image: np.ndarray, window: tuple[int, int, int],
                       threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        size = self.config.input_size
        canvas, scale, origin = letterbox(image, window, size)
        tensor = (canvas.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0))[None]
        raw, logits = self._model.run(tensor)
        keep = logits.reshape(-1) > np.log(threshold / (1.0 - threshold))  # score > threshold, in logits
        boxes, points, scores = decode_boxes(raw.reshape(-1, 16)[keep], logits.reshape(-1)[keep], self._anchors[keep],
                                             input_size=size)
        boxes, points, scores = weighted_nms(boxes, points, scores)
        to_frame = size / scale
        boxes = boxes * to_frame + np.tile(origin, 2)
        points = points * to_frame + origin
        inner = _inner_edges(window, image.shape[1], image.shape[0])
        if inner and len(boxes):
            x0, y0, side = window
            margin = _EDGE * side
            cut = np.zeros(len(boxes), bool)
            if "left" in inner:
                cut |= boxes[:, 0] < x0 + margin
            if "top" in inner:
                cut |= boxes[:, 1] < y0 + margin
            if "right" in inner:
                cut |= boxes[:, 2] > x0 + side - margin
            if "bottom" in inner:
                cut |= boxes[:, 3] > y0 + side - margin
            boxes, points, scores = boxes[~cut], points[~cut], scores[~cut]
        return boxes, points, scores


def _inner_edges(window: tuple[int, int, int], width: int, height: int) -> set[str]:
    """The window's edges that lie inside the frame (a face may continue past them)."""
    x0, y0, side = window
    edges = set()
    if x0 > 0:
        edges.add("left")
    if y0 > 0:
        edges.add("top")
    if x0 + side < width:
        edges.add("right")
    if y0 + side < height:
        edges.add("bottom")
    return edges
