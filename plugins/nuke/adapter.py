"""The one module of the Nuke toolset that touches `nuke`: Group nodes from the node manifest.

Everything else (knob specs, command lines, progress parsing, .nk text) lives in modules without
`nuke`, tested for real. This module maps Nuke's UI and files onto them:

- `create(name)`: a Group with one Input per plane, a Switch choosing the pass-through input or
  the result Read, knobs built from the schema, and buttons "Process" and "Send to farm".
- `process(group)`: renders each input to EXR under the node's work folder (all channels),
  runs `facegraft node run` on the frame range in a subprocess with a ProgressTask, and points
  the internal Read at the result. Torch never loads inside Nuke.
"""
import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import nuke

from facegraft.nodes.registry import NodeRegistry
from facegraft.nodes.schema import NodeSpec
from facegraft.plugins.nuke import commands, knobs

TOOLSET = Path(__file__).resolve().parents[4]  # <toolset>/python/facegraft/plugins/nuke/adapter.py
_FARM_ENGINES = ("deadline", "opencue", "dask")


def specs() -> dict[str, NodeSpec]:
    """The node specs of the manifest shipped with the toolset."""
    path = Path(__file__).resolve().parents[2] / "nodes" / "manifest.json"
    registry = NodeRegistry.from_manifest(json.loads(path.read_text(encoding="utf-8")))
    return {entry.spec.name: entry.spec for entry in registry}


def _child(name: str) -> nuke.Node:
    node = nuke.toNode(name)
    if node is None:
        raise commands.HostError(f"the facegraft group lost its internal node {name!r}; create the node again")
    return node


def _add_knob(group: nuke.Group, spec: knobs.KnobSpec) -> None:
    knob: Any
    if spec.kind == "Double_Knob":
        knob = nuke.Double_Knob(spec.name, spec.label)
        if spec.low is not None and spec.high is not None:
            knob.setRange(spec.low, spec.high)
    elif spec.kind == "Int_Knob":
        knob = nuke.Int_Knob(spec.name, spec.label)
    elif spec.kind == "Boolean_Knob":
        knob = nuke.Boolean_Knob(spec.name, spec.label)
    elif spec.kind == "Enumeration_Knob":
        knob = nuke.Enumeration_Knob(spec.name, spec.label, list(spec.values))
    elif spec.kind == "File_Knob":
        knob = nuke.File_Knob(spec.name, spec.label)
    else:
        knob = nuke.String_Knob(spec.name, spec.label)
    knob.setValue(spec.default)
    knob.setTooltip(spec.tooltip)
    group.addKnob(knob)


def create(name: str) -> nuke.Group:
    """Build the facegraft Group of node `name` in the current graph and return it."""
    spec = specs()[name]
    group = nuke.nodes.Group(name=f"facegraft_{name}")
    if not isinstance(group, nuke.Group):
        raise TypeError(f"nuke.nodes.Group made a {type(group).__name__}")
    group.begin()
    inputs = [nuke.nodes.Input(name=plane.name) for plane in spec.inputs]
    base = spec.passthrough or spec.inputs[0].name
    read = nuke.nodes.Read(name="result")
    switch = nuke.nodes.Switch(name="show_result")
    switch.setInput(0, inputs[[p.name for p in spec.inputs].index(base)])
    switch.setInput(1, read)
    nuke.nodes.Output().setInput(0, switch)
    group.end()
    group.addKnob(nuke.Tab_Knob("facegraft", "facegraft"))
    group.addKnob(nuke.Text_Knob("node_help", "", spec.help))
    for knob in knobs.knob_specs(spec):
        _add_knob(group, knob)
    group.addKnob(nuke.String_Knob("facegraft_node", "node", spec.name))
    group["facegraft_node"].setVisible(False)
    group.addKnob(nuke.File_Knob("work_dir", "work folder"))
    group.addKnob(nuke.PyScript_Knob("process", "Process", "facegraft.plugins.nuke.adapter.process(nuke.thisNode())"))
    group.addKnob(nuke.Enumeration_Knob("farm_engine", "farm", list(_FARM_ENGINES)))
    group.addKnob(nuke.PyScript_Knob("send_to_farm", "Send to farm",
                                     "facegraft.plugins.nuke.adapter.send_to_farm(nuke.thisNode())"))
    return group


def _values(group: nuke.Group, spec: NodeSpec) -> tuple[dict[str, Any], dict[str, str | None]]:
    raw = {k.name: group[k.name].value() for k in knobs.knob_specs(spec)}
    return knobs.params_from_knobs(spec, raw), knobs.layers_from_knobs(spec, raw)


def _work(group: nuke.Group) -> Path:
    text = str(group["work_dir"].value()).strip()
    return Path(text) if text else Path(tempfile.gettempdir()) / "facegraft" / group.fullName()


def _render_inputs(group: nuke.Group, spec: NodeSpec, patterns: dict[str, str], first: int, last: int) -> None:
    group.begin()
    try:
        for index, plane in enumerate(spec.inputs):
            write = nuke.nodes.Write(file=patterns[plane.name], file_type="exr", channels="all")
            write.setInput(0, _child(plane.name))
            try:
                nuke.execute(write, first, last)
            finally:
                nuke.delete(write)
    finally:
        group.end()


def _run(argv: list[str], label: str) -> None:
    task = nuke.ProgressTask(label)

    def show(done: int, total: int, frame: int) -> None:
        task.setProgress(int(100 * done / max(total, 1)))
        task.setMessage(f"frame {frame} ({done}/{total})")

    try:
        code, output = commands.run_streaming(argv, on_progress=show, cancelled=task.isCancelled)
    except FileNotFoundError:
        raise commands.missing_command(argv[:1]) from None
    if code != 0 and not task.isCancelled():
        raise commands.HostError(commands.error_line(output))


def process(group: nuke.Group) -> None:
    """The "Process" button: render inputs, run the node on the frame range, read the result back."""
    spec = specs()[str(group["facegraft_node"].value())]
    command = commands.load_command(TOOLSET)
    try:
        listed = subprocess.run(commands.list_argv(command), capture_output=True, text=True, check=False)
    except FileNotFoundError:
        nuke.message(str(commands.missing_command(command)))
        return
    try:
        commands.check_node_list(listed.stdout, spec, command=command)
        params, layers = _values(group, spec)
        first, last = int(nuke.root()["first_frame"].value()), int(nuke.root()["last_frame"].value())
        work = _work(group)
        os.makedirs(work, exist_ok=True)
        inputs, output = commands.work_paths(work, spec)
        _render_inputs(group, spec, inputs, first, last)
        run_args = commands.node_run_args(spec, inputs, layers, output, first, last, params)
        _run(commands.process_argv(command, run_args), f"facegraft {spec.name}")
    except commands.HostError as error:
        nuke.message(f"facegraft: {error}")
        return
    group.begin()
    try:
        _child("result")["file"].setValue(output)
        _child("result")["first"].setValue(first)
        _child("result")["last"].setValue(last)
        _child("show_result")["which"].setValue(1)
    finally:
        group.end()


def send_to_farm(group: nuke.Group) -> None:
    """The "Send to farm" button: render the inputs here, submit `node run` through `facegraft farm submit`."""
    spec = specs()[str(group["facegraft_node"].value())]
    command = commands.load_command(TOOLSET)
    try:
        params, layers = _values(group, spec)
        first, last = int(nuke.root()["first_frame"].value()), int(nuke.root()["last_frame"].value())
        inputs, output = commands.work_paths(_work(group), spec)
        _render_inputs(group, spec, inputs, first, last)
        run_args = commands.node_run_args(spec, inputs, layers, output, first, last, params)
        argv = commands.farm_argv(command, run_args, engine=str(group["farm_engine"].value()))
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        nuke.message(str(commands.missing_command(command)))
        return
    except commands.HostError as error:
        nuke.message(f"facegraft: {error}")
        return
    if done.returncode != 0:
        nuke.message(f"facegraft farm submit failed: {commands.error_line(done.stderr)}")
    else:
        nuke.message(done.stdout.strip() or "submitted")


def import_transform() -> None:
    """Paste a face transform written by `facegraft node nk ALIGNMENTS -o face.nk`."""
    path = nuke.getFilename("facegraft face transform (.nk)", "*.nk")
    if path:
        nuke.nodePaste(str(path))


def add_menu() -> None:
    """A facegraft menu in the Nodes toolbar, one item per node by category, plus the transform import."""
    toolbar = nuke.menu("Nodes").addMenu("facegraft")
    for name, spec in specs().items():
        toolbar.addCommand(f"{spec.category}/{name}", f"facegraft.plugins.nuke.adapter.create({name!r})")
    toolbar.addCommand("Import face transform...", "facegraft.plugins.nuke.adapter.import_transform()")
