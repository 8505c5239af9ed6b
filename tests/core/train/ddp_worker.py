"""Run by test_ddp.py under torchrun: train a few iterations, then record this rank's weights hash.

Usage: torchrun --nproc_per_node 2 ddp_worker.py FACESET_A FACESET_B MODEL_DIR HASH_DIR
"""
import hashlib
import sys
from pathlib import Path

from facegraft.core.faceset import load_faceset
from facegraft.core.models.config import ModelConfig
from facegraft.core.train.distributed import DistContext
from facegraft.core.train.loop import train
from facegraft.core.train.settings import TrainSettings


def weights_hash(state: dict) -> str:
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def main() -> None:
    a, b, model_dir, hash_dir = sys.argv[1:5]
    dist = DistContext.from_environment()
    config = ModelConfig("df", encoder_width=8, bottleneck_dims=32, decoder_width=8, decoder_depth=0)
    settings = TrainSettings(iterations=3, batch_size=2, workers=0, log_every=1, preview_every=1000)
    result = train(load_faceset(a), load_faceset(b), model_dir, model_config=config, settings=settings, dist=dist,
                   show_progress=False)
    Path(hash_dir, f"rank{dist.rank}.txt").write_text(f"{result.iteration} {weights_hash(result.network.state_dict())}")


if __name__ == "__main__":
    main()
