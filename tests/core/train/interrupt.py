"""A training run stopped by Ctrl-C after a given number of steps (its checkpoint saved), for resume tests."""
from collections.abc import Callable

import pytest

from facegraft.core.train import loop


def stopped_by_ctrl_c(train: Callable[[], object], monkeypatch: pytest.MonkeyPatch, *, after: int) -> None:
    """Run `train()` with KeyboardInterrupt raised at training step `after` + 1."""
    real, calls = loop.training_step, []

    def step(*args, **kwargs):
        calls.append(1)
        if len(calls) > after:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(loop, "training_step", step)
    with pytest.raises(KeyboardInterrupt):
        train()
    monkeypatch.setattr(loop, "training_step", real)
