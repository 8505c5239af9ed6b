"""The Nuke toolset beneath the thin adapter: knobs from the schema, command lines, progress, mypy."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from facegraft.install.nuke import stage_toolset
from facegraft.nodes.registry import builtin_registry
from facegraft.nodes.schema import ParameterError
from facegraft.plugins.cli.main import build_parser
from facegraft.plugins.nuke import commands, knobs

REG = builtin_registry()
COLOR = REG.get("ColorMatch").spec


def test_knob_specs_come_from_the_schema() -> None:
    for entry in REG:
        specs = knobs.knob_specs(entry.spec)
        assert [k.name for k in specs[:len(entry.spec.params)]] == [p.name for p in entry.spec.params]
        assert [k.name for k in specs[len(entry.spec.params):]] == [p.name + "_layer" for p in entry.spec.inputs]
    by_name = {k.name: k for k in knobs.knob_specs(COLOR)}
    assert by_name["method"].kind == "Enumeration_Knob" and by_name["method"].values == COLOR.param("method").choices
    assert (by_name["amount"].kind, by_name["amount"].low, by_name["amount"].high) == ("Double_Knob", 0.0, 1.0)
    assert by_name["seed"].kind == "Int_Knob"
    convert = {k.name: k for k in knobs.knob_specs(REG.get("Convert").spec)}
    assert convert["model"].kind == "File_Knob" and convert["repair_nonfinite"].kind == "Boolean_Knob"


def test_knob_values_back_to_params() -> None:
    values = knobs.params_from_knobs(COLOR, {"method": 2, "amount": 0.5, "seed": 3.0, "matte_layer": " matte "})
    assert values["method"] == COLOR.param("method").choices[2] and values["seed"] == 3
    assert knobs.layers_from_knobs(COLOR, {"matte_layer": " matte ", "face_layer": ""}) == \
        {"face": None, "plate": None, "matte": "matte"}
    with pytest.raises(ParameterError, match="'amount'"):
        knobs.params_from_knobs(COLOR, {"amount": 3.0})
    with pytest.raises(ParameterError, match="'method'"):
        knobs.params_from_knobs(COLOR, {"method": 99})


def test_node_run_args_parse_with_the_real_cli(tmp_path: Path) -> None:
    inputs, output = commands.work_paths(tmp_path, COLOR)
    params = COLOR.validate({"method": "mkl", "amount": 0.25})
    args = commands.node_run_args(COLOR, inputs, {"face": None, "plate": None, "matte": "matte.A"}, output,
                                  1001, 1010, params)
    assert args[:3] == ["node", "run", "ColorMatch"]
    assert f"matte={tmp_path}/matte.####.exr:matte.A" in args and "--frames" in args and "1001-1010" in args
    assert args.count("--set") == 2  # only the values that differ from the defaults
    parsed = build_parser().parse_args(commands.process_argv(["facegraft"], args)[1:])
    assert parsed.name == "ColorMatch" and parsed.progress == "lines"
    assert COLOR.parse_settings(parsed.set) == params
    farm = commands.farm_argv(["/x/facegraft"], args, engine="deadline")
    assert farm[:6] == ["/x/facegraft", "farm", "submit", "--engine", "deadline", "--"] and farm[6:] == args


def test_missing_command() -> None:  # progress and error lines: tests/plugins/test_host_command.py
    assert "not found" in str(commands.missing_command(["/nope/facegraft"]))


def test_version_check_against_the_real_command(capsys) -> None:
    from facegraft.plugins.cli.main import main

    assert main(["node", "list", "--json"]) == 0
    listing = capsys.readouterr().out
    commands.check_node_list(listing, COLOR, command=["facegraft"])
    newer = json.loads(listing)
    next(n for n in newer["nodes"] if n["name"] == "ColorMatch")["version"] = 99
    with pytest.raises(commands.HostError, match="v99.*expects v2"):
        commands.check_node_list(json.dumps(newer), COLOR, command=["facegraft"])
    with pytest.raises(commands.HostError, match="unexpected output"):
        commands.check_node_list("usage: something", COLOR, command=["facegraft"])


def test_load_command(tmp_path: Path) -> None:
    assert commands.load_command(tmp_path) == ["facegraft"]
    (tmp_path / "config.json").write_text(json.dumps({"facegraft": ["/opt/fg/bin/facegraft"]}))
    assert commands.load_command(tmp_path) == ["/opt/fg/bin/facegraft"]


@pytest.fixture(scope="module")
def toolset(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("nuke") / "facegraft"
    stage_toolset(folder, command=["facegraft"])
    return folder


def test_staged_toolset_imports_without_numpy(toolset: Path) -> None:
    """Nuke's Python has its own packages: beneath the adapter we use the standard library only."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]);"
            "import facegraft.plugins.nuke.knobs, facegraft.plugins.nuke.commands, facegraft.plugins.nuke.nk;"
            "from facegraft.nodes.registry import NodeRegistry; import json, pathlib;"
            "p = pathlib.Path(sys.argv[1], 'facegraft/nodes/manifest.json');"
            "r = NodeRegistry.from_manifest(json.loads(p.read_text()));"
            "[facegraft.plugins.nuke.knobs.knob_specs(e.spec) for e in r];"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'scipy', 'OpenImageIO', 'torch'));"
            "print(len(r.names()), bad)")
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(toolset / "python")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"{len(REG.names())} []"


def test_adapter_type_checks_against_types_nuke(toolset: Path) -> None:
    pytest.importorskip("mypy", reason="mypy not installed (dev extra: mypy, types-nuke)")
    if not any(Path(p, "nuke-stubs").is_dir() for p in sys.path):
        pytest.skip("types-nuke stubs not installed (dev extra)")
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--explicit-package-bases", "--no-incremental",
                           "-p", "facegraft.plugins.nuke"], cwd=toolset / "python", capture_output=True, text=True,
                          env={**os.environ, "MYPYPATH": str(toolset / "python")})
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_child_that_fills_stderr_cannot_block_the_progress_reader() -> None:
    """More than a pipe's worth (64 KiB) on stderr before and between progress lines on stdout: a
    reader of stdout alone with stderr on its own unread pipe would wait forever."""
    import threading

    script = ("import sys\n"
              "sys.stderr.write('warning: noise\\n' * 20000); sys.stderr.flush()\n"
              "for i in range(1, 4):\n"
              "    print(f'facegraft-progress {i} 3 {1000 + i}', flush=True)\n"
              "    sys.stderr.write('more noise\\n' * 10000); sys.stderr.flush()\n"
              "sys.stderr.write('facegraft: error: plate.1003.exr: broken; re-render it\\n')\n"
              "sys.exit(2)\n")
    steps, result = [], {}

    def run() -> None:
        result["value"] = commands.run_streaming([sys.executable, "-c", script], on_progress=lambda *s: steps.append(s))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "the reader blocked on a full pipe"
    code, output = result["value"]
    assert code == 2 and steps == [(1, 3, 1001), (2, 3, 1002), (3, 3, 1003)]
    assert commands.error_line(output) == "plate.1003.exr: broken; re-render it"


def test_cancel_terminates_the_child() -> None:
    code, _ = commands.run_streaming(
        [sys.executable, "-c", "import time\nprint('facegraft-progress 1 9 1', flush=True)\ntime.sleep(60)"],
        on_progress=lambda *s: None, cancelled=lambda: True)
    assert code != 0
