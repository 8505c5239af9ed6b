"""`facegraft faces sort DIR --by blur|yaw|identity [--dedupe]`: order and thin a face set.

The face set's index (faceset.json) is rewritten in the new order; faces dropped as near
duplicates leave the index (their image files stay, unreferenced).
"""
import argparse
import json
import sys
from pathlib import Path

import numpy as np

from facegraft.core.detect.registry import default_registry
from facegraft.core.extract.face_sort import SORT_KEYS, near_duplicates, sort_order
from facegraft.core.faceset import INDEX_NAME, load_faceset
from facegraft.core.media.atomic import atomic_write_text, exclusive_writer, remove_stale_temporaries
from facegraft.plugins.cli.arg_types import real


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("faces", help="work with face sets (sort, drop near duplicates)",
                                   description="Work with face sets written by facegraft extract --faces-out.")
    verbs = parser.add_subparsers(title="actions", metavar="ACTION", required=True)
    sort = verbs.add_parser("sort", help="reorder a face set's index; optionally drop near-duplicate faces")
    sort.add_argument("folder", metavar="DIR", help="face set folder (holds faceset.json)")
    sort.add_argument("--by", choices=SORT_KEYS, required=True,
                      help="blur: sharpest first; yaw: turned left to turned right; identity: most typical first")
    sort.add_argument("--dedupe", type=real(0, 10), nargs="?", const=0.01, default=None, metavar="THRESHOLD",
                      help="drop faces nearly identical to a kept one of the same id (default threshold 0.01)")
    sort.set_defaults(func=run)


def _embeddings(faceset) -> np.ndarray:
    identity = default_registry().identity("dlib_resnet")
    out = []
    for i, record in enumerate(faceset.faces):
        crop, _ = faceset.load(i)
        image = np.ascontiguousarray((crop * 255.0 + 0.5).astype(np.uint8))
        out.append(identity(image, record.landmarks[None])[0])
    return np.array(out).reshape(len(faceset), -1)


def run(args: argparse.Namespace) -> int:
    load_faceset(args.folder)  # a clear error before anything is created
    with exclusive_writer(Path(args.folder) / INDEX_NAME):
        faceset = load_faceset(args.folder)
        remove_stale_temporaries(faceset.path)
        embeddings = _embeddings(faceset) if args.by == "identity" else None
        order = sort_order(faceset, by=args.by, embeddings=embeddings)
        dropped = set(near_duplicates(faceset, order, threshold=args.dedupe)) if args.dedupe is not None else set()
        result = faceset.with_faces([faceset.faces[i] for i in order if i not in dropped])
        atomic_write_text(faceset.path / INDEX_NAME, json.dumps(result.to_json(), indent=1))
    if not getattr(args, "quiet", False):
        print(f"{args.folder}: {len(result)} faces sorted by {args.by}"
              + (f"; {len(dropped)} near duplicates dropped" if args.dedupe is not None else ""), file=sys.stderr)
    return 0
