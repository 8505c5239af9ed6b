"""Starting a pair from a pretrained base model (`facegraft pretrain`), as DeepFaceLab does.

A base is an ordinary model folder trained on a pool of many identities. A pair starts from its
encoder and decoders; the parts that hold what is particular to one pair of identities — the
layout's `PER_PAIR_PARTS` (DF: the dense bottleneck, DeepFaceLab's "inter"; LIAE: inter_ab and
inter_b) — are initialised afresh, as DeepFaceLab does when pretraining is switched off. The
optimiser starts afresh too (iteration 0).
"""
from dataclasses import asdict
from pathlib import Path

from facegraft.core.models.config import ModelConfig
from facegraft.core.models.files import load_model
from facegraft.core.models.network import SwapNetwork
from facegraft.core.train.errors import TrainingError


def base_config(base: str | Path) -> ModelConfig:
    """The model config of the base model in folder `base` (ModelMismatchError when unreadable)."""
    return load_model(base).config


def start_from_base(network: SwapNetwork, base: str | Path, config: ModelConfig) -> tuple[str, ...]:
    """Copy the base's weights into `network` (built from `config`), then re-initialise its
    per-pair parts with the current torch RNG. Returns the names of the re-initialised parts.

    Raises: TrainingError when the base was trained with another model config (names the fields);
    ModelMismatchError when the base folder is missing or corrupt.
    """
    loaded = load_model(base)
    if loaded.config != config:
        diff = ", ".join(f"{k}={v!r} (base {getattr(loaded.config, k)!r})" for k, v in asdict(config).items()
                         if getattr(loaded.config, k) != v)
        raise TrainingError(f"{base}: the base model was pretrained with other model options: {diff}; "
                            "train with the base's options (drop them) or pretrain a base for these")
    network.load_state_dict(loaded.network.state_dict())  # copies onto the network's device
    parts = tuple(getattr(network, "PER_PAIR_PARTS", ()))
    for name in parts:
        for module in getattr(network, name).modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    return parts
