"""A whole shot as one farm job: extract (one alignments shard per chunk) → merge → convert.

    extract PLATE -o SHARDS/NAME.{chunk}.json --frames CHUNK      chunked, no dependency
    alignments merge SHARDS/NAME.1001-1020.json ... -o ALIGNMENTS  once, after every extract chunk
    convert PLATE --alignments ALIGNMENTS --model M -o OUT --frames CHUNK   chunked, after the merge

Shards live in `.shards/` beside the alignments file; `{chunk}` is filled in per task by the
chunk runner, so a retried extract chunk resumes its own shard.
"""
from dataclasses import dataclass
from pathlib import Path

from facegraft.plugins.farm.job import LayerSpec


@dataclass(frozen=True)
class ShotSettings:
    """Paths are absolute or relative to `workdir`; `frames` sorted; extra args go to each verb as given."""

    plate: str
    alignments: str
    model: str
    output: str
    frames: tuple[int, ...]
    extract_chunk: int = 20
    convert_chunk: int = 10
    extract_args: tuple[str, ...] = ()
    convert_args: tuple[str, ...] = ()
    workdir: str = "."


def shard_pattern(alignments: str) -> str:
    """`{chunk}`-templated shard path for an alignments file: `DIR/.shards/NAME.{chunk}.json`."""
    path = Path(alignments)
    return str(path.parent / ".shards" / f"{path.stem}.{{chunk}}{path.suffix or '.json'}")


def shot_layers(settings: ShotSettings) -> tuple[LayerSpec, LayerSpec, LayerSpec]:
    """The three layers of a shot, in dependency order."""
    shard = shard_pattern(settings.alignments)
    extract = LayerSpec("extract", ("extract", settings.plate, "-o", shard, *settings.extract_args),
                        settings.frames, settings.extract_chunk, None, (), settings.workdir)
    shards = tuple(shard.replace("{chunk}", chunk.name) for chunk in extract.chunks())
    merge = LayerSpec("merge", ("alignments", "merge", *shards, "-o", settings.alignments), (), 1, None,
                      ("extract",), settings.workdir)
    convert = LayerSpec("convert", ("convert", settings.plate, "--alignments", settings.alignments, "--model",
                                    settings.model, "-o", settings.output, *settings.convert_args),
                        settings.frames, settings.convert_chunk, settings.output, ("merge",), settings.workdir)
    return extract, merge, convert
