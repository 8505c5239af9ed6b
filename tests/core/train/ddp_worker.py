"""Run by test_ddp.py under torchrun: train a few iterations, then record this rank's weights hash.

Usage: torchrun --nproc_per_node 2 ddp_worker.py FACESET_A FACESET_B MODEL_DIR HASH_DIR [gan]
("gan": the patch-GAN term on from the first step; the discriminator's hash is recorded too.)
"""
import hashlib
import sys
from pathlib import Path

from facegraft.core.faceset import load_faceset
from facegraft.core.models.config import ModelConfig
from facegraft.core.train.distributed import DistContext
from facegraft.core.train import loop
from facegraft.core.train.settings import GanSettings, TrainSettings


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
    gan = GanSettings(weight=0.1, start=0.0, width=8) if sys.argv[5:] == ["gan"] else GanSettings()
    settings = TrainSettings(iterations=3, batch_size=2, workers=0, log_every=1, preview_every=1000, gan=gan)
    seen = {}
    real_step = loop.training_step

    def step(*args, **kwargs):  # keeps this rank's discriminator to hash it
        seen["adversary"] = kwargs.get("adversary")
        return real_step(*args, **kwargs)

    loop.training_step = step
    result = loop.train(load_faceset(a), load_faceset(b), model_dir, model_config=config, settings=settings,
                        dist=dist, show_progress=False)
    line = f"{result.iteration} {weights_hash(result.network.state_dict())}"
    if seen.get("adversary") is not None:
        line += " " + weights_hash(seen["adversary"].discriminator.state_dict())
    Path(hash_dir, f"rank{dist.rank}.txt").write_text(line)


if __name__ == "__main__":
    main()
