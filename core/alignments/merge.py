"""Join the shards that farm chunks wrote into one alignments file."""
from collections.abc import Sequence

from facegraft.core.alignments.format import Alignments
from facegraft.core.errors import AlignmentsError


def merge_alignments(shards: Sequence[Alignments], *, names: Sequence[str] | None = None) -> Alignments:
    """Merge shards of one plate (disjoint frame sets, same header) into one alignments.

    Face ids, smoothing and crop matrices are recomputed over the whole plate from the raw fields,
    so the result equals one run over all frames. The result does not depend on shard order.

    Args:
        shards: at least one Alignments. names: labels for messages (file names), same length.
    Raises: AlignmentsError when shards are of different plates or settings, or share frames.
    """
    if not shards:
        raise ValueError("merge_alignments needs at least one shard")
    names = list(names) if names is not None else [f"shard {i + 1}" for i in range(len(shards))]
    order = sorted(range(len(shards)), key=lambda i: (shards[i].frames[:1], i))
    first = shards[order[0]]
    owner: dict[int, int] = {}
    by_frame = {}
    for i in order:
        shard = shards[i]
        if shard.header != first.header:
            diff = [k for k, v in vars(shard.header).items() if vars(first.header)[k] != v]
            raise AlignmentsError(f"{names[i]}: made from another plate or with other settings than "
                                  f"{names[order[0]]} (differs in {', '.join(diff)}); re-run that chunk with the same options")
        for n, faces in shard.by_frame.items():
            if n in owner:
                raise AlignmentsError(f"{names[i]} and {names[owner[n]]} both hold frame {n}; "
                                      "farm chunks must not overlap: drop one or re-run with disjoint --frames")
            owner[n] = i
            by_frame[n] = faces
    from facegraft.core.extract.finalize import refinalize

    return refinalize(first.with_frames(by_frame))
