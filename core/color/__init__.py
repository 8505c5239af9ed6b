"""Color management (OpenColorIO)."""
from facegraft.core.color.ocio import DEFAULT_CONFIG, SCENE_LINEAR, SRGB_ENCODED, ColorManager

__all__ = ["DEFAULT_CONFIG", "SCENE_LINEAR", "SRGB_ENCODED", "ColorManager"]
