"""Errors a user can cause. Each carries a one-line message naming the file or frame and the fix.

The command line prints `str(error)` without a traceback and exits with `FacegraftError.exit_code`.
Bugs in our own code raise `ValueError`/`TypeError` instead and keep their traceback.
"""


class FacegraftError(Exception):
    """Base of every user-caused failure. `str(err)` is one line: what, where, what to do."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # always one line


class MediaError(FacegraftError):
    """A file or frame cannot be read or written (missing, corrupt, wrong channels, NaN/Inf)."""


class FrameMismatchError(MediaError):
    """A frame of a sequence differs from its first frame in resolution or channels."""


class SequencePatternError(FacegraftError):
    """A frame-sequence pattern or frame range is malformed, empty or has gaps where none may be."""


class ColorConfigError(FacegraftError):
    """The OCIO config cannot be loaded, or a color space is unknown to it."""


class NoFaceError(FacegraftError):
    """No face was found where one is required."""


class ModelMismatchError(FacegraftError):
    """A model file is corrupt or does not fit the face set, alignments or options given."""


class AlignmentsError(FacegraftError):
    """An alignments file is corrupt, of another plate, or shards disagree."""


class OutputError(FacegraftError):
    """An output location is unusable: not writable, or it would overwrite an input."""


class ResourceError(FacegraftError):
    """A job would need more memory than the machine has (estimated before allocating)."""


class NotConvergedError(FacegraftError):
    """A numerical solve (e.g. a Poisson blend) did not reach its tolerance, or met NaN/Inf values."""
