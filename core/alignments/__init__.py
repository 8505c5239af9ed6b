"""The per-plate alignments file (see `format` for the documented layout) and shard merging."""
from facegraft.core.alignments.format import (Alignments, AlignmentsHeader, FaceAlignment, load_alignments,
                                              save_alignments)
from facegraft.core.alignments.merge import merge_alignments

__all__ = ["Alignments", "AlignmentsHeader", "FaceAlignment", "load_alignments", "merge_alignments",
           "save_alignments"]
