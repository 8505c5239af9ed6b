"""The swap project folder: where every intermediate lives, and the record of each finished stage.

    OUT/project.json             {"schema": "FacegraftProject", "version": 1, "source", "target"}
    OUT/stages/<stage>.json      one record per finished stage (see `StageRecord`)
    OUT/plate/target.####.exr    the target as scene-linear EXR frames (video targets only)
    OUT/source/alignments.json   OUT/source/faces/   (face set A)
    OUT/target/alignments.json   OUT/target/faces/   (face set B)
    OUT/pair_check.txt, .json    the pair check
    OUT/model/                   checkpoints, previews/preview.png, training/ history
    OUT/converted/swap.####.exr  composite in RGB(A) + face.* / matte.A layers
    OUT/review.mp4               H.264: plate | swap side by side, sRGB
    OUT/eval/                    report.html, eval.json, plots.png, contact_sheet.png
    OUT/logs/swap.log            what each run did

A stage counts as done when its record exists and holds the same settings (which include the
records of the stages it reads), so changing an option redoes that stage and those after it.
"""
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from facegraft.core.errors import OutputError
from facegraft.core.media.atomic import atomic_write_text, check_writable_dir

STAGES = ("plate", "extract_source", "extract_target", "pair_check", "train", "convert", "review", "eval")
RECORD_SCHEMA = "FacegraftStage"
PROJECT_SCHEMA = "FacegraftProject"


@dataclass(frozen=True)
class ProjectLayout:
    """Paths of one project folder (nothing is created until a stage writes)."""

    root: Path

    def stage_record(self, stage: str) -> Path:
        return self.root / "stages" / f"{stage}.json"

    @property
    def project_file(self) -> Path:
        return self.root / "project.json"

    @property
    def plate_pattern(self) -> str:
        return str(self.root / "plate" / "target.####.exr")

    def alignments(self, side: str) -> Path:
        return self.root / side / "alignments.json"

    def faces(self, side: str) -> Path:
        return self.root / side / "faces"

    @property
    def pair_check(self) -> Path:
        return self.root / "pair_check.txt"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def converted_pattern(self) -> str:
        return str(self.root / "converted" / "swap.####.exr")

    @property
    def review(self) -> Path:
        return self.root / "review.mp4"

    @property
    def eval_dir(self) -> Path:
        return self.root / "eval"

    @property
    def log(self) -> Path:
        return self.root / "logs" / "swap.log"


@dataclass(frozen=True)
class StageRecord:
    """A finished stage: its settings (JSON data), wall-clock seconds, finish time, and results."""

    stage: str
    settings: dict[str, Any]
    seconds: float
    finished: str
    results: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"schema": RECORD_SCHEMA, "version": 1, "stage": self.stage, "settings": self.settings,
                "seconds": round(self.seconds, 3), "finished": self.finished, "results": self.results}


def read_record(layout: ProjectLayout, stage: str) -> StageRecord | None:
    """The stage's record, or None when missing or unreadable (an unreadable record means 'not done')."""
    try:
        data = json.loads(layout.stage_record(stage).read_text(encoding="utf-8"))
        if data.get("schema") != RECORD_SCHEMA or data.get("stage") != stage:
            return None
        return StageRecord(stage, data["settings"], float(data["seconds"]), str(data["finished"]),
                           dict(data.get("results", {})))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def is_done(layout: ProjectLayout, stage: str, settings: dict[str, Any]) -> bool:
    record = read_record(layout, stage)
    return record is not None and record.settings == _normalised(settings)


def write_record(layout: ProjectLayout, stage: str, settings: dict[str, Any], *, seconds: float,
                 results: dict[str, Any]) -> StageRecord:
    """Record `stage` as done (atomically). Returns the record."""
    record = StageRecord(stage, _normalised(settings), seconds, time.strftime("%Y-%m-%dT%H:%M:%S%z"), results)
    atomic_write_text(layout.stage_record(stage), json.dumps(record.to_json(), indent=1))
    return record


def forget_record(layout: ProjectLayout, stage: str) -> None:
    """Mark `stage` as not done (before it is redone)."""
    layout.stage_record(stage).unlink(missing_ok=True)


def _normalised(settings: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(settings, sort_keys=True))


def open_project(layout: ProjectLayout, *, source: str, target: str, options: dict[str, Any] | None = None) -> None:
    """Create the project folder or check that it belongs to this source and target; record
    `options` (what the caller needs to resume the project with the same choices).

    Raises: OutputError when the folder holds a project for other clips, or cannot be written.
    """
    check_writable_dir(layout.root)
    wanted = {"schema": PROJECT_SCHEMA, "version": 1, "source": source, "target": target, "options": options or {}}
    if layout.project_file.is_file():
        try:
            found = json.loads(layout.project_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OutputError(f"{layout.project_file}: unreadable project file ({exc}); choose another -o") from exc
        if not isinstance(found, dict):
            raise OutputError(f"{layout.project_file}: not a swap project file; choose another -o")
        if (found.get("source"), found.get("target")) != (source, target):
            raise OutputError(f"{layout.root}: holds a swap of {found.get('source')} onto {found.get('target')}; "
                              "choose another -o for other clips")
    elif any(layout.root.iterdir()):
        raise OutputError(f"{layout.root}: folder is not empty and is not a swap project; choose another -o")
    atomic_write_text(layout.project_file, json.dumps(wanted, indent=1))


def read_project(layout: ProjectLayout) -> dict[str, Any]:
    """project.json of an existing project (for --resume). Raises OutputError when there is none."""
    try:
        project = json.loads(layout.project_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OutputError(f"{layout.root}: no swap project to resume (no project.json); "
                          "start one with --source and --target") from None
    except (OSError, ValueError) as exc:
        raise OutputError(f"{layout.project_file}: unreadable project file ({exc})") from exc
    if not isinstance(project, dict) or not {"source", "target"} <= set(project):
        raise OutputError(f"{layout.project_file}: not a swap project file (no source and target); start a "
                          "project with --source and --target")
    return project
