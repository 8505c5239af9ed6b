"""The bpy side of the add-on: preferences, property groups from the manifest, panel, operators.

Blender 4.5 and 5.0 differ in the compositor API (`scene.node_tree` vs
`scene.compositing_node_group`, AlphaOver socket names, node options that became input sockets);
the small helpers below bridge them. No pixels are processed inside Blender: a Python compositor
node crashes renders, so results come back as Image nodes and the live MaskFeather is a group of
Blender's own nodes.
"""
import json
import queue
import shlex
import subprocess
import tempfile
import threading
from pathlib import Path

import bpy

from . import command, manifest_props, sequence

HERE = Path(__file__).resolve().parent
NODES = manifest_props.load_nodes(manifest_props.find_manifest(HERE))  # read-only data of the manifest
BY_NAME = {n["name"]: n for n in NODES}
FEATHER_GROUP = "facegraft MaskFeather"


def _default_command() -> str:
    defaults = HERE / "defaults.json"
    if defaults.is_file():
        return shlex.join(json.loads(defaults.read_text(encoding="utf-8"))["facegraft"])
    return "facegraft"


def _key(name: str) -> str:
    return name.lower()


# ---------------------------------------------------------------- 4.5 / 5.0 compositor differences
def compositor_tree(scene, *, create: bool = False):
    """The scene's compositor node tree (4.5: scene.node_tree; 5.0: scene.compositing_node_group)."""
    if hasattr(scene, "compositing_node_group"):
        tree = scene.compositing_node_group
        if tree is None and create:
            tree = bpy.data.node_groups.new("Compositing", "CompositorNodeTree")
            scene.compositing_node_group = tree
        return tree
    if create:
        scene.use_nodes = True
    return scene.node_tree


def alpha_over_inputs(node):
    """(background, foreground) sockets of an AlphaOver node (4.5: Fac, Image, Image; 5.0: named)."""
    if "Background" in node.inputs:
        return node.inputs["Background"], node.inputs["Foreground"]
    return node.inputs[1], node.inputs[2]


def _set(node, prop: str, socket: str, value) -> None:
    """Set an option that is a property in 4.5 and an input socket in 5.0."""
    if hasattr(node, prop):
        setattr(node, prop, value)
    elif socket in node.inputs:
        target = node.inputs[socket]
        try:
            target.default_value = value
        except (TypeError, ValueError):  # a vector socket (e.g. Blur Size in 5.0)
            target.default_value = (value,) * len(target.default_value)


# ---------------------------------------------------------------- live MaskFeather node group
def build_feather_group(grow: int, feather: float, mode: str):
    """A node group of Blender nodes approximating MaskFeather: Dilate/Erode (step) then Blur."""
    group = bpy.data.node_groups.get(FEATHER_GROUP) or bpy.data.node_groups.new(FEATHER_GROUP, "CompositorNodeTree")
    group.nodes.clear()
    group.interface.clear()
    group.interface.new_socket("Matte", in_out="INPUT", socket_type="NodeSocketFloat")
    group.interface.new_socket("Matte", in_out="OUTPUT", socket_type="NodeSocketFloat")
    source, sink = group.nodes.new("NodeGroupInput"), group.nodes.new("NodeGroupOutput")
    grow_node, blur = group.nodes.new("CompositorNodeDilateErode"), group.nodes.new("CompositorNodeBlur")
    grow_node.name, blur.name = "grow", "feather"
    source.location, grow_node.location, blur.location, sink.location = (-400, 0), (-200, 0), (0, 0), (200, 0)
    group.links.new(source.outputs[0], grow_node.inputs[0])
    group.links.new(grow_node.outputs[0], blur.inputs[0])
    group.links.new(blur.outputs[0], sink.inputs[0])
    apply_feather_values(group, grow, feather, mode)
    return group


def apply_feather_values(group, grow: int, feather: float, mode: str) -> None:
    """Gaussian: Blender's blur size is ~3 sigma and facegraft's sigma is feather / 2; distance: a tent."""
    grow_node, blur = group.nodes["grow"], group.nodes["feather"]
    if hasattr(grow_node, "mode"):
        grow_node.mode = "STEP"
    _set(grow_node, "distance", "Size", int(grow))
    if hasattr(blur, "filter_type"):  # 4.5: a property; 5.0: the "Type" menu socket
        blur.filter_type = "GAUSS" if mode == "gaussian" else "TENT"
    elif "Type" in blur.inputs:
        blur.inputs["Type"].default_value = "Gaussian" if mode == "gaussian" else "Tent"
    if hasattr(blur, "use_relative"):
        blur.use_relative = False
    size = int(round(1.5 * feather)) if mode == "gaussian" else int(round(feather))
    if hasattr(blur, "size_x"):
        blur.size_x = blur.size_y = size
    else:
        _set(blur, "size", "Size", size)


def _update_live(self, context) -> None:
    group = bpy.data.node_groups.get(FEATHER_GROUP)
    if group is not None:
        apply_feather_values(group, self.grow, self.feather, self.mode)


# ---------------------------------------------------------------- properties from the manifest
def _node_group_class(node: dict):
    annotations = {}
    for spec in manifest_props.prop_specs(node):
        options = dict(spec.options)
        if node["name"] == "MaskFeather" and spec.name in ("grow", "feather", "mode"):
            options["update"] = _update_live
        annotations[spec.name] = getattr(bpy.props, spec.kind)(**options)
    return type(f"FACEGRAFT_PG_{node['name']}", (bpy.types.PropertyGroup,), {"__annotations__": annotations})


NODE_GROUPS = [_node_group_class(n) for n in NODES]
SETTINGS = type("FACEGRAFT_PG_settings", (bpy.types.PropertyGroup,), {"__annotations__": {
    "node": bpy.props.EnumProperty(name="Node", items=[(n["name"], n["name"], n["help"]) for n in NODES]),
    **{_key(n["name"]): bpy.props.PointerProperty(type=cls) for n, cls in zip(NODES, NODE_GROUPS)}}})


class FACEGRAFT_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    facegraft: bpy.props.StringProperty(
        name="facegraft command", default=_default_command(),
        description="The facegraft command (path, or a command line such as '/venv/bin/python -m ...')")

    def draw(self, context) -> None:
        self.layout.prop(self, "facegraft")


def _preferences(context):
    return context.preferences.addons[__package__].preferences


# ---------------------------------------------------------------- running a node
class PlanError(Exception):
    """What to tell the user before anything runs."""


def plan_run(context) -> dict:
    """Everything a run needs, or PlanError with a message for a Blender report."""
    scene = context.scene
    tree = compositor_tree(scene)
    plate = tree.nodes.active if tree is not None else None
    if plate is None or plate.bl_idname != "CompositorNodeImage" or plate.image is None:
        raise PlanError("select an Image node in the compositor (the plate)")
    if plate.image.source != "SEQUENCE":
        raise PlanError(f"Image node {plate.name!r} holds no image sequence; load a sequence (e.g. shot.1001.exr)")
    node = BY_NAME[scene.facegraft.node]
    group = getattr(scene.facegraft, _key(node["name"]))
    try:
        pattern = sequence.pattern_of(bpy.path.abspath(plate.image.filepath))
        first, last = sequence.file_frames(plate.frame_offset, plate.frame_duration)
        sequence.check_range(pattern, first, last)
    except sequence.SequenceError as error:
        raise PlanError(str(error)) from None
    facegraft = shlex.split(_preferences(context).facegraft)
    try:
        listed = subprocess.run(command.list_argv(facegraft), capture_output=True, text=True, timeout=120)
    except (FileNotFoundError, PermissionError):
        raise PlanError(f"facegraft command not found: {shlex.join(facegraft)}; set its path in the add-on "
                        "preferences (Edit > Preferences > Add-ons > facegraft)") from None
    try:
        command.check_listing(listed.stdout, node, facegraft)
    except command.CommandError as error:
        raise PlanError(str(error)) from None
    output = sequence.output_pattern(pattern, node["name"])
    values = manifest_props.values(node, group)
    for param in node["params"]:  # Blender paths may be blend-file relative ("//...")
        if param["type"] == "string" and param.get("path") and values[param["name"]]:
            values[param["name"]] = bpy.path.abspath(values[param["name"]])
    sources = {k: (bpy.path.abspath(v) if v.startswith("//") else v)
               for k, v in manifest_props.sources(node, group).items()}
    argv = command.run_argv(facegraft, node, sources, pattern, output, first, last, values)
    return {"argv": argv, "output": output, "first": first, "last": last, "plate": plate.name, "node": node}


def load_result(context, plan: dict):
    """Load the output sequence as an Image node and wire it over the plate (AlphaOver)."""
    tree = compositor_tree(context.scene)
    plate = tree.nodes[plan["plate"]]
    pad = plan["output"].count("#")
    first_file = plan["output"].replace("#" * pad, f"{plan['first']:0{pad}d}")
    image = bpy.data.images.load(first_file, check_existing=False)
    image.source = "SEQUENCE"
    image.colorspace_settings.name = plate.image.colorspace_settings.name
    result = tree.nodes.new("CompositorNodeImage")
    result.image = image
    result.label = f"facegraft {plan['node']['name']}"
    result.frame_duration, result.frame_start, result.frame_offset = plate.frame_duration, plate.frame_start, plate.frame_offset
    result.location = (plate.location.x, plate.location.y - 320)
    if plan["node"]["output"]["kind"] == "a":
        return result, None
    downstream = [link.to_socket for link in tree.links if link.from_node == plate and link.from_socket.name == "Image"]
    over = tree.nodes.new("CompositorNodeAlphaOver")
    over.location = (plate.location.x + 300, plate.location.y - 160)
    background, foreground = alpha_over_inputs(over)
    tree.links.new(plate.outputs["Image"], background)
    tree.links.new(result.outputs["Image"], foreground)
    for socket in downstream:
        tree.links.new(over.outputs["Image"], socket)
    return result, over


class FACEGRAFT_OT_run_node(bpy.types.Operator):
    """Run the chosen facegraft node on the selected Image node's sequence"""

    bl_idname = "facegraft.run_node"
    bl_label = "Run facegraft Node"
    bl_options = {"REGISTER"}

    def execute(self, context):
        """Blocking run (background mode and scripts); progress through the window manager."""
        try:
            plan = plan_run(context)
        except PlanError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        wm = context.window_manager
        wm.progress_begin(0, 100)
        with tempfile.TemporaryFile("w+") as errors:
            proc = subprocess.Popen(plan["argv"], stdout=subprocess.PIPE, stderr=errors, text=True)
            for line in proc.stdout:
                step = command.parse_progress(line)
                if step is not None:
                    wm.progress_update(int(100 * step[0] / max(step[1], 1)))
            proc.wait()
            errors.seek(0)
            stderr = errors.read()
        wm.progress_end()
        return self._finish(context, proc.returncode, stderr, plan)

    def invoke(self, context, event):
        if bpy.app.background:
            return self.execute(context)
        try:
            self._plan = plan_run(context)
        except PlanError as error:
            self.report({"ERROR"}, str(error))
            return {"CANCELLED"}
        self._errors = tempfile.TemporaryFile("w+")
        self._proc = subprocess.Popen(self._plan["argv"], stdout=subprocess.PIPE, stderr=self._errors, text=True)
        self._lines = queue.Queue()
        threading.Thread(target=lambda: [self._lines.put(l) for l in self._proc.stdout], daemon=True).start()
        self._timer = context.window_manager.event_timer_add(0.25, window=context.window)
        context.window_manager.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC":
            self._proc.terminate()
            self._cleanup(context)
            self.report({"WARNING"}, "facegraft run cancelled")
            return {"CANCELLED"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}
        while not self._lines.empty():
            step = command.parse_progress(self._lines.get())
            if step is not None:
                context.workspace.status_text_set(
                    f"facegraft {self._plan['node']['name']}: frame {step[2]} ({step[0]}/{step[1]}) — Esc cancels")
        if self._proc.poll() is None:
            return {"PASS_THROUGH"}
        self._errors.seek(0)
        stderr = self._errors.read()
        self._cleanup(context)
        return self._finish(context, self._proc.returncode, stderr, self._plan)

    def _cleanup(self, context) -> None:
        context.window_manager.event_timer_remove(self._timer)
        context.workspace.status_text_set(None)
        self._errors.close()

    def _finish(self, context, returncode: int, stderr: str, plan: dict):
        if returncode != 0:
            self.report({"ERROR"}, f"facegraft: {command.error_line(stderr)}")
            return {"CANCELLED"}
        load_result(context, plan)
        self.report({"INFO"}, f"facegraft {plan['node']['name']}: frames {plan['first']}-{plan['last']} loaded")
        return {"FINISHED"}


class FACEGRAFT_OT_add_live_feather(bpy.types.Operator):
    """Add MaskFeather as a live node group of Blender nodes (an approximation of the facegraft node)"""

    bl_idname = "facegraft.add_live_feather"
    bl_label = "Add Live MaskFeather"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        tree = compositor_tree(context.scene, create=True)
        values = getattr(context.scene.facegraft, _key("MaskFeather"))
        group = build_feather_group(values.grow, values.feather, values.mode)
        node = tree.nodes.new("CompositorNodeGroup")
        node.node_tree = group
        active = tree.nodes.active
        if active is not None and active != node and active.bl_idname == "CompositorNodeImage":
            tree.links.new(active.outputs["Alpha"], node.inputs[0])
            node.location = (active.location.x + 300, active.location.y)
        tree.nodes.active = node
        return {"FINISHED"}


class FACEGRAFT_PT_panel(bpy.types.Panel):
    bl_space_type = "NODE_EDITOR"
    bl_region_type = "UI"
    bl_category = "facegraft"
    bl_label = "facegraft"

    @classmethod
    def poll(cls, context):
        space = context.space_data
        return space is not None and getattr(space, "tree_type", "") == "CompositorNodeTree"

    def draw(self, context) -> None:
        layout = self.layout
        settings = context.scene.facegraft
        layout.prop(settings, "node")
        node = BY_NAME[settings.node]
        group = getattr(settings, _key(node["name"]))
        column = layout.column()
        for spec in manifest_props.prop_specs(node):
            column.prop(group, spec.name)
        layout.operator(FACEGRAFT_OT_run_node.bl_idname, icon="PLAY")
        if node["name"] == "MaskFeather":
            layout.operator(FACEGRAFT_OT_add_live_feather.bl_idname, icon="NODETREE")


CLASSES = (*NODE_GROUPS, SETTINGS, FACEGRAFT_AP_preferences, FACEGRAFT_OT_run_node, FACEGRAFT_OT_add_live_feather,
           FACEGRAFT_PT_panel)


def register() -> None:
    for cls in CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.facegraft = bpy.props.PointerProperty(type=SETTINGS)


def unregister() -> None:
    del bpy.types.Scene.facegraft
    for cls in reversed(CLASSES):
        bpy.utils.unregister_class(cls)
