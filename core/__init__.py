"""facegraft core: the headless library (media I/O, color, detect/align, masks, models, train,
convert, post). It never imports a host (`nuke`, `bpy`) or anything under `facegraft.plugins`."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("facegraft")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
