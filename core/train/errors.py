"""Training failures a user can cause or must act on (each a one-line `FacegraftError`)."""
from facegraft.core.errors import FacegraftError


class TrainingError(FacegraftError):
    """Training cannot start or continue: too few faces, incompatible resume options, out of memory."""


class TrainingDivergedError(TrainingError):
    """The loss became NaN/Inf; the last good checkpoint was kept."""
