"""Swap quality in numbers: identity (dlib 128-D), expression and pose kept (68 landmarks),
temporal stability (jitter, flicker), reconstruction (SSIM/PSNR), and an HTML report.

`run.evaluate_swap` is the pass over a swapped sequence; `metrics` (and `align.face_geometry`) hold the
pure measures; `report.write_report` writes the report folder. (Nothing is imported here.)
"""
