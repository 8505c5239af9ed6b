"""OpenColorIO color management: the one place in the core that reads `$OCIO`.

The config is the file or `ocio://` URI in `$OCIO` when set, else `DEFAULT_CONFIG`, a built-in
ACES studio config whose export also loads in OCIO 2.4 (the version Blender bundles).
Conversions run on whole float32 arrays, vectorised; processors are cached per pair of spaces on
the `ColorManager` instance (no module-level state).
"""
import difflib
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import PyOpenColorIO as ocio

from facegraft.core.checks import check_image
from facegraft.core.errors import ColorConfigError

DEFAULT_CONFIG = "ocio://studio-config-v2.2.0_aces-v1.3_ocio-v2.4"

# Documented defaults when a file states no color space and the user passes no --colorspace.
# Role names resolve through whichever config is active.
SCENE_LINEAR = "scene_linear"
SRGB_ENCODED = "sRGB Encoded Rec.709 (sRGB)"


class ColorManager:
    """One loaded OCIO config and its cached CPU processors.

    Build it at the edge (`ColorManager.from_environment()` in a command) and pass it down.
    """

    def __init__(self, config: str | os.PathLike[str] = DEFAULT_CONFIG) -> None:
        self.source = str(config)
        if not self.source.startswith("ocio://") and not Path(self.source).is_file():
            what = "is a folder, not a config file" if Path(self.source).is_dir() else "no such file"
            raise ColorConfigError(f"{self.source}: OCIO config {what}; fix $OCIO or unset it to use the "
                                   "built-in config")
        try:
            self.config = ocio.Config.CreateFromFile(self.source)
            self.config.validate()
        except (ocio.Exception, ocio.ExceptionMissingFile) as exc:
            raise ColorConfigError(f"{self.source}: OCIO config cannot be loaded ({exc}); "
                                   "fix $OCIO or unset it to use the built-in config") from exc
        self._processors: dict[tuple[str, str], ocio.CPUProcessor] = {}

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> "ColorManager":
        """The config named by `$OCIO` in `environ`, else the built-in default."""
        return cls(environ.get("OCIO") or DEFAULT_CONFIG)

    def colorspace_names(self) -> list[str]:
        return [cs.getName() for cs in self.config.getColorSpaces()]

    def resolve(self, name: str) -> str:
        """The canonical color space name for `name` (a space, alias, role or color interop ID such
        as `lin_ap1_scene`, which OCIO 2.5+ configs and OpenImageIO 3 use).

        Raises: ColorConfigError naming the config and the nearest known names.
        """
        space = self.config.getColorSpace(name)
        if space is None:
            raise ColorConfigError(f"unknown color space {name!r} in OCIO config {self.source}; "
                                   f"{self.near_matches(name)}")
        return space.getName()

    def near_matches(self, name: str) -> str:
        """'did you mean ...' with the config's names, aliases and roles closest to `name`."""
        names = list(self.colorspace_names()) + [r for r, _ in self.config.getRoles()]
        for space in self.config.getColorSpaces():
            names.extend(space.getAliases())
        by_lower = {n.lower(): n for n in names}
        close = difflib.get_close_matches(name.lower(), list(by_lower), n=4, cutoff=0.5)
        shown = ", ".join(by_lower[c] for c in close) or ", ".join(self.colorspace_names()[:4])
        return f"did you mean {shown}? (`facegraft info --json` shows a file's; roles such as scene_linear work too)"

    def file_rule(self, path: str | os.PathLike[str]) -> str | None:
        """The color space the config's file rules give `path`, or None when only the default rule
        matches (a config's catch-all says nothing about this file)."""
        text = os.fspath(path)
        if self.config.filepathOnlyMatchesDefaultRule(text):
            return None
        name, _ = self.config.getColorSpaceFromFilepath(text)
        return str(name)

    def convert(self, pixels: np.ndarray, src: str, dst: str) -> np.ndarray:
        """Convert RGB(A) pixels from color space `src` to `dst`; alpha and extra channels are copied.

        Args:
            pixels: (H, W, C) float32, C >= 3; the first three channels are RGB. Unclipped.
            src, dst: color space names, aliases or roles of this config.
        Returns: new (H, W, C) float32 array; `pixels` is not modified.
        Raises: ColorConfigError for an unknown space.
        """
        check_image(pixels, channels=(3, 4, 5, 6, 7, 8), name="pixels")
        out = np.array(pixels, dtype=np.float32, order="C", copy=True)
        src, dst = self.resolve(src), self.resolve(dst)
        if src == dst:
            return out
        rgb = np.ascontiguousarray(out[..., :3])
        self._processor(src, dst).applyRGB(rgb)
        out[..., :3] = rgb
        return out

    def _processor(self, src: str, dst: str) -> "ocio.CPUProcessor":
        key = (src, dst)
        if key not in self._processors:
            processor = self.config.getProcessor(src, dst)
            self._processors[key] = processor.getDefaultCPUProcessor()
        return self._processors[key]

    def export(self, path: str | Path) -> Path:
        """Write the active config (with its LUT-free built-in transforms) to an .ocio file."""
        path = Path(path)
        path.write_text(self.config.serialize())
        return path
