"""Post-processing of a generated face before and during compositing (DESIGN.md, step 5).

Pure numpy/scipy functions on float32 scene-linear pixels, unclipped: color matching, Poisson
blending, matte grow/feather/combine/temporal smoothing, sharpening and grain matching.
"""
from facegraft.core.post.color_spaces import SPACES, decode, encode
from facegraft.core.post.color_stats import ColorStats, color_stats, smooth_stats
from facegraft.core.post.color_transfer import METHODS, color_transfer
from facegraft.core.post.grain import GrainEstimate, add_grain, estimate_grain, make_grain, match_grain
from facegraft.core.post.matte import (combine_mattes, feather_distance, feather_gaussian, grow_matte,
                                       smooth_matte_sequence)
from facegraft.core.post.poisson import poisson_blend
from facegraft.core.post.sharpen import unsharp_mask

__all__ = [
    "METHODS", "SPACES", "ColorStats", "GrainEstimate", "add_grain", "color_stats", "color_transfer",
    "combine_mattes", "decode", "encode", "estimate_grain", "feather_distance", "feather_gaussian",
    "grow_matte", "make_grain", "match_grain", "poisson_blend", "smooth_matte_sequence", "smooth_stats",
    "unsharp_mask",
]
