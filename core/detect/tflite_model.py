"""Run a `.tflite` network with LiteRT (`ai-edge-litert`, numpy 2 compatible) on the CPU.

One interpreter per model file and instance; `run` feeds one float32 input tensor and returns
every output tensor, in the model's output order. Not thread-safe (an interpreter holds its
tensors): give each worker its own backend.
"""
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from facegraft.core.errors import ModelMismatchError


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the block. LiteRT writes "INFO: Created TensorFlow Lite
    XNNPACK delegate for CPU." from C++ on the process's first allocation, with no switch to turn it off;
    on a command's stderr it would stand before the one error line. Errors still reach Python as
    exceptions."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@dataclass
class TfliteModel:
    """A loaded `.tflite` model. `threads`: CPU threads LiteRT may use (1 keeps farm chunks honest)."""

    path: Path
    threads: int = 1
    _interpreter: Any = field(default=None, init=False, repr=False)
    _input: dict = field(default_factory=dict, init=False, repr=False)
    _outputs: list = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise ModelMismatchError(f"{self.path.name}: the LiteRT runtime is not installed; "
                                     "pip install ai-edge-litert") from exc
        try:
            interpreter = Interpreter(model_path=str(self.path), num_threads=self.threads)
            with _native_stderr_silenced():
                interpreter.allocate_tensors()
        except (RuntimeError, ValueError) as exc:
            raise ModelMismatchError(f"{self.path}: not a model LiteRT can run ({str(exc)[:120]}); "
                                     "reinstall the package that ships it") from exc
        self._interpreter = interpreter
        self._input = interpreter.get_input_details()[0]
        self._outputs = interpreter.get_output_details()

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The input tensor's shape, e.g. (1, 192, 192, 3)."""
        return tuple(int(v) for v in self._input["shape"])

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Outputs (copies) for one input `tensor` of exactly `input_shape`, float32.

        Raises: ValueError for a wrong shape or dtype (a bug of the caller).
        """
        if tensor.shape != self.input_shape or tensor.dtype != np.float32:
            raise ValueError(f"input must be float32 {self.input_shape}, got {tensor.dtype} {tensor.shape}")
        self._interpreter.set_tensor(self._input["index"], tensor)
        self._interpreter.invoke()
        return [self._interpreter.get_tensor(d["index"]).copy() for d in self._outputs]
