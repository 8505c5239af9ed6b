"""Extraction: run detection, landmarks, tracking, smoothing and identity over a source and
produce the plate's alignments (and, optionally, a face set)."""
