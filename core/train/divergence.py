"""Catching a collapsed training run: the loss jumps far above its recent level and stays there.

A NaN loss is caught in `step.training_step`. A finite collapse is quieter: seen on a real
d18 → d19 run at learning rate 1e-3, the sigmoid outputs saturated after ~265 steps and the loss
went from 0.39 to 2.4 for good. `LossJumpDetector` flags that, so the loop can stop while the last
checkpoint is still good (it also holds back periodic saves while the loss looks wrong).
"""
import statistics
from collections import deque


class LossJumpDetector:
    """Says when the loss has stayed above `factor` × the median of its recent values for `patience` steps.

    The baseline is the median of the last `window` normal losses (values above the threshold do
    not enter it); nothing is flagged before `warmup` normal losses were seen.
    """

    def __init__(self, *, factor: float = 3.0, patience: int = 20, window: int = 200, warmup: int = 50) -> None:
        if factor <= 1 or patience < 1 or warmup < 1 or window < warmup:
            raise ValueError("need factor > 1, patience >= 1 and window >= warmup >= 1")
        self.factor, self.patience, self.warmup = factor, patience, warmup
        self._recent: deque[float] = deque(maxlen=window)
        self.steps_above = 0

    @property
    def baseline(self) -> float | None:
        """The median of the recent normal losses, or None during warm-up."""
        return statistics.median(self._recent) if len(self._recent) >= self.warmup else None

    @property
    def suspicious(self) -> bool:
        """The last loss was above the threshold (do not save a checkpoint now)."""
        return self.steps_above > 0

    def update(self, loss: float) -> bool:
        """Record one step's loss; True once it has been above the threshold `patience` steps running."""
        base = self.baseline
        if base is not None and loss > self.factor * base:
            self.steps_above += 1
            return self.steps_above >= self.patience
        self.steps_above = 0
        self._recent.append(loss)
        return False
