import json

import pytest

from facegraft.core.errors import OutputError
from facegraft.plugins.farm.job import JobSpec, LayerSpec
from facegraft.plugins.farm.record import RECORD_FILE, claim_outputs


def job(out, *args, name="job_a"):
    command = ("media", "convert", "/in/plate.####.exr", str(out / "conv.####.exr"), *args)
    return JobSpec(name, (LayerSpec("convert", command, (1, 2, 3), 2, str(out / "conv.####.exr")),))


def test_claim_records_the_settings_with_the_outputs(tmp_path):
    [path] = claim_outputs(job(tmp_path, "--to-colorspace", "ACEScg"))
    assert path == tmp_path / RECORD_FILE
    record = json.loads(path.read_text())
    assert record["schema"] == "FarmOutputRecord"
    assert record["outputs"]["conv.####.exr"]["command"][-2:] == ["--to-colorspace", "ACEScg"]


def test_same_settings_may_claim_again(tmp_path):
    claim_outputs(job(tmp_path, "--to-colorspace", "ACEScg"))
    claim_outputs(job(tmp_path, "--to-colorspace", "ACEScg", "--force", name="job_b"))  # --force writes the same


def test_other_settings_in_the_same_folder_are_refused(tmp_path):
    claim_outputs(job(tmp_path, "--to-colorspace", "ACEScg"))
    before = (tmp_path / RECORD_FILE).read_text()
    with pytest.raises(OutputError, match=f"{tmp_path}: already holds conv.####.exr written by job job_a"):
        claim_outputs(job(tmp_path, "--to-colorspace", "sRGB", name="job_b"))
    assert (tmp_path / RECORD_FILE).read_text() == before


def test_damaged_record_is_reported_not_replaced(tmp_path):
    (tmp_path / RECORD_FILE).write_text("{not json")
    with pytest.raises(OutputError, match="damaged job record"):
        claim_outputs(job(tmp_path))
