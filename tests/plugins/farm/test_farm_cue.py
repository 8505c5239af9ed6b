"""OpenCue job specs built with pyoutline, validated through pyoutline itself and run as RQD would."""
import subprocess
import xml.etree.ElementTree as Et

import FileSequence
import outline

from facegraft.plugins.farm import cue
from facegraft.plugins.farm.job import write_job
from facegraft.plugins.farm.status import job_status
from test_farm_job import three_layer_job


def cue_tasks(layer: Et.Element) -> list[tuple[int, int]]:
    """(#FRAME_START#, #FRAME_END#) per task, as OpenCue chunks a layer's range."""
    frames = list(FileSequence.FrameSet(layer.findtext("range")))
    size = int(layer.findtext("chunk"))
    return [(frames[i], frames[min(i + size, len(frames)) - 1]) for i in range(0, len(frames), size)]


def test_spec_has_layers_chunks_and_dependencies(tmp_path):
    job = three_layer_job(threads=4, gpu="0", priority=70)
    write_job(job, tmp_path / "job")
    result = cue.submit(job, tmp_path / "job", dry_run=True)
    text = result.spec_path.read_text()
    assert result.launched == () and 'cjsl-1.15.dtd' in text
    root = Et.fromstring(text[text.index("<spec>"):])
    xjob = root.find("job")
    assert xjob.get("name") == "shot010" and xjob.findtext("priority") == "70"
    layers = {layer.get("name"): layer for layer in xjob.find("layers")}
    assert list(layers) == ["extract", "merge", "convert"]
    assert layers["convert"].findtext("range") == "1001-1020" and layers["convert"].findtext("chunk") == "5"
    assert "--start #FRAME_START# --end #FRAME_END#" in layers["convert"].findtext("cmd")
    assert "#FRAME_START#" not in layers["merge"].findtext("cmd") and layers["merge"].findtext("range") == "1"
    assert layers["extract"].findtext("cores") == "4.0" and layers["extract"].findtext("gpus") == "1"
    depends = {(d.findtext("deplayer"), d.findtext("onlayer"), d.get("type")) for d in root.find("depends")}
    assert depends == {("merge", "extract", "LAYER_ON_LAYER"), ("convert", "merge", "LAYER_ON_LAYER")}
    assert cue_tasks(layers["convert"]) == [(1001, 1005), (1006, 1010), (1011, 1015), (1016, 1020)]


def test_outline_reloads_through_pyoutline(tmp_path):
    job = three_layer_job()
    write_job(job, tmp_path / "job")
    cue.job_spec_xml(job, tmp_path / "job")
    [saved] = (tmp_path / "job/opencue/sessions").rglob("outline.yaml")
    ol = outline.load_outline(str(saved))
    assert [layer.get_name() for layer in ol.get_layers()] == ["extract", "merge", "convert"]
    convert = ol.get_layer("convert")
    assert convert.get_chunk_size() == 5 and convert.get_frame_range() == "1001-1020"
    assert [d.get_depend_on_layer().get_name() for d in convert.get_depends()] == ["merge"]
    assert convert.get_arg("command") == cue.cue_command(job, tmp_path / "job", "convert")


def test_spec_commands_run_as_rqd_runs_them(tmp_path, convert_job):
    job = convert_job(tmp_path / "out", frames=range(1001, 1016), chunk=10, threads=1)
    write_job(job, tmp_path / "job")
    spec = cue.submit(job, tmp_path / "job", dry_run=True).spec_path.read_text()
    [layer] = Et.fromstring(spec[spec.index("<spec>"):]).find("job").find("layers")
    tasks = cue_tasks(layer)
    assert tasks == [(1001, 1010), (1011, 1015)]
    for start, end in tasks:
        command = layer.findtext("cmd").replace("#FRAME_START#", str(start)).replace("#FRAME_END#", str(end))
        subprocess.run(command, shell=True, check=True, capture_output=True, timeout=120)
    assert job_status(tmp_path / "job").complete


def test_launch_only_when_a_cuebot_is_configured(monkeypatch):
    monkeypatch.delenv("CUEBOT_HOSTS", raising=False)
    monkeypatch.delenv("OPENCUE_CONFIG_FILE", raising=False)
    assert not cue.cuebot_configured(None)
    assert cue.cuebot_configured("cuebot.example.com")
    monkeypatch.setenv("CUEBOT_HOSTS", "cuebot1:8443")
    assert cue.cuebot_configured(None)


def test_session_files_stay_in_the_job_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    job = three_layer_job()
    write_job(job, tmp_path / "job")
    cue.job_spec_xml(job, tmp_path / "job")
    assert not (tmp_path / "home").exists()
    assert outline.config.get("outline", "session_dir", raw=True) == "{HOME}/.opencue/sessions"
