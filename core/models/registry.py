"""The architecture registry: names → constructors taking a `ModelConfig`.

Names are listed from a static table, so a host can enumerate layouts without importing torch;
a layout's module is imported on first use and registers its constructor with
`@register_architecture(name)`. Tests may build their own `Registry`.
"""
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from facegraft.core.errors import ModelMismatchError

if TYPE_CHECKING:
    from facegraft.core.models.config import ModelConfig

Constructor = Callable[["ModelConfig"], Any]


class Registry:
    """Names → constructors. `modules` maps each name to the module that registers it."""

    def __init__(self, kind: str, modules: dict[str, str]) -> None:
        self.kind = kind
        self._modules = dict(modules)
        self._constructors: dict[str, Constructor] = {}

    def names(self) -> tuple[str, ...]:
        """Registered names, sorted; imports nothing."""
        return tuple(sorted(self._modules))

    def register(self, name: str) -> Callable[[Constructor], Constructor]:
        """Decorator: register `fn` under `name` (once; a second, different constructor is a bug)."""
        def decorate(fn: Constructor) -> Constructor:
            known = self._constructors.get(name)
            if known is not None and known is not fn:
                raise ValueError(f"{self.kind} {name!r} is already registered")
            self._modules.setdefault(name, fn.__module__)
            self._constructors[name] = fn
            return fn
        return decorate

    def get(self, name: str) -> Constructor:
        """The constructor for `name`. Raises `ModelMismatchError` for an unknown name."""
        if name not in self._modules:
            raise ModelMismatchError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}")
        if name not in self._constructors:
            importlib.import_module(self._modules[name])
        return self._constructors[name]


ARCHITECTURES = Registry("architecture", {"df": "facegraft.core.models.df",
                                          "liae": "facegraft.core.models.liae",
                                          "original": "facegraft.core.models.original"})


def register_architecture(name: str) -> Callable[[Constructor], Constructor]:
    """Decorator registering a layout constructor `fn(config: ModelConfig) -> SwapNetwork`."""
    return ARCHITECTURES.register(name)


def list_architectures() -> tuple[str, ...]:
    """Names of the built-in layouts, e.g. ("df", "liae"), without importing torch."""
    return ARCHITECTURES.names()


SUPPORTED_VERSIONS = {"df": (1,), "liae": (1,)}


def create_model(config: "ModelConfig", *, registry: Registry = ARCHITECTURES) -> Any:
    """Build the untrained network for `config` (a `SwapNetwork`, float32, CPU, train mode).

    Raises: ModelMismatchError for an unknown architecture or an unsupported architecture_version.
    """
    constructor = registry.get(config.architecture)
    supported = SUPPORTED_VERSIONS.get(config.architecture, (config.architecture_version,))
    if config.architecture_version not in supported:
        raise ModelMismatchError(f"{config.architecture} version {config.architecture_version} is not supported by "
                                 f"this facegraft (supports {supported}); update facegraft")
    return constructor(config)
