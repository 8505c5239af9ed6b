"""DistributedDataParallel on 2 CPU processes (gloo) launched by torchrun."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from facegraft.core.models.files import load_model
from facegraft.core.train.adversarial import build_adversary
from facegraft.core.train.checkpoint import read_state
from facegraft.core.train.settings import GanSettings

sys.path.insert(0, str(Path(__file__).parent))
from ddp_worker import weights_hash  # noqa: E402

TORCHRUN = Path(sys.executable).with_name("torchrun")


@pytest.mark.parametrize("gan", [False, True])
def test_two_ranks_stay_in_step_and_write_one_checkpoint(faceset_a, faceset_b, tmp_path, gan) -> None:
    """With the GAN term on, the discriminators of both ranks stay in step too (and differ from a
    fresh one: they were trained)."""
    model_dir, hash_dir = tmp_path / "model", tmp_path / "hashes"
    hash_dir.mkdir()
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [str(TORCHRUN), "--standalone", "--nproc_per_node", "2", str(Path(__file__).with_name("ddp_worker.py")),
           str(faceset_a.path), str(faceset_b.path), str(model_dir), str(hash_dir)] + (["gan"] if gan else [])
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [(hash_dir / f"rank{r}.txt").read_text().split() for r in (0, 1)]
    assert ranks[0] == ranks[1] and ranks[0][0] == "3"
    saved = load_model(model_dir)
    assert weights_hash(saved.network.state_dict()) == ranks[0][1]
    assert read_state(model_dir)["iteration"] == 3
    files = sorted(str(p.relative_to(model_dir)) for p in model_dir.rglob("*") if p.is_file())
    assert files.count("model.safetensors") == 1 and not any("tmp" in f for f in files)
    assert not (model_dir / "previous").exists()  # one save only
    assert len(ranks[0]) == (3 if gan else 2)
    if gan:
        fresh = build_adversary(64, GanSettings(weight=0.1, width=8), seed=0, device=torch.device("cpu"),
                                channels_last=False)
        assert weights_hash(fresh.discriminator.state_dict()) != ranks[0][2]
        assert "training/discriminator.safetensors" in files
