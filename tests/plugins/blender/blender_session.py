"""Runs INSIDE Blender's Python (bpy from PyPI, .venv-blender), driven by test_blender_addon.py.

argv: ZIP PLATE_FIRST_FILE MATTE_PATTERN FACEGRAFT_COMMAND OUT_DIR. Installs the extension, runs
the Sharpen node through the operator on the plate sequence, renders the compositor, exercises
the error reports and the live MaskFeather group, and prints one JSON line of what happened.
"""
import json
import sys
from pathlib import Path

import bpy

ZIP, PLATE, MATTE, COMMAND, OUT = sys.argv[1:6]
MODULE = "bl_ext.user_default.facegraft"
result: dict = {"blender": bpy.app.version_string, "errors": {}}

bpy.ops.wm.read_factory_settings(use_empty=True)
bpy.ops.extensions.package_install_files(filepath=ZIP, repo="user_default", enable_on_install=True)
ui = sys.modules[MODULE + ".ui"]
prefs = bpy.context.preferences.addons[MODULE].preferences
prefs.facegraft = COMMAND
scene = bpy.context.scene
scene.render.resolution_x = scene.render.resolution_y = 512
scene.render.resolution_percentage = 100
scene.frame_start, scene.frame_end = 1, 3
scene.render.use_compositing = True
scene.render.image_settings.file_format = "OPEN_EXR"
scene.render.image_settings.color_depth = "32"
scene.view_settings.view_transform = "Standard"
scene.render.engine = "BLENDER_WORKBENCH"  # the 3D scene is empty; only the compositor matters
camera = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))  # 4.5 refuses to render without one
scene.collection.objects.link(camera)
scene.camera = camera
tree = ui.compositor_tree(scene, create=True)


def output_socket():
    if hasattr(scene, "compositing_node_group"):  # 5.0: Group Output
        if not tree.interface.items_tree:
            tree.interface.new_socket("Image", in_out="OUTPUT", socket_type="NodeSocketColor")
        node = next((n for n in tree.nodes if n.bl_idname == "NodeGroupOutput"), None) or tree.nodes.new("NodeGroupOutput")
        return node.inputs[0]
    node = next((n for n in tree.nodes if n.bl_idname == "CompositorNodeComposite"), None) \
        or tree.nodes.new("CompositorNodeComposite")
    return node.inputs["Image"]


def image_node(path: str, frames: int):
    image = bpy.data.images.load(path, check_existing=False)
    image.source = "SEQUENCE"
    image.colorspace_settings.name = "Non-Color"
    node = tree.nodes.new("CompositorNodeImage")
    node.image = image
    node.frame_duration, node.frame_start, node.frame_offset = frames, 1, 0
    return node


def render(frame: int, name: str) -> None:
    scene.frame_set(frame)
    scene.render.filepath = str(Path(OUT) / name)
    bpy.ops.render.render(write_still=True)


def report_of(call) -> str:
    try:
        call()
    except RuntimeError as error:
        return str(error)
    return "no error"


plate = image_node(PLATE, 3)
tree.links.new(plate.outputs["Image"], output_socket())
scene.facegraft.node = "Sharpen"
scene.facegraft.sharpen.amount = 2.0
scene.facegraft.sharpen.matte_source = MATTE

# Bad input first: each becomes a Blender report (RuntimeError from bpy.ops in background mode).
other = tree.nodes.new("CompositorNodeBlur")
tree.nodes.active = other
result["errors"]["not_an_image"] = report_of(bpy.ops.facegraft.run_node)
tree.nodes.active = plate
prefs.facegraft = "/nonexistent/facegraft"
result["errors"]["no_command"] = report_of(bpy.ops.facegraft.run_node)
prefs.facegraft = COMMAND
plate.image.source = "FILE"
result["errors"]["not_a_sequence"] = report_of(bpy.ops.facegraft.run_node)
plate.image.source = "SEQUENCE"
plate.frame_duration = 5
result["errors"]["range"] = report_of(bpy.ops.facegraft.run_node)
plate.frame_duration = 3
scene.facegraft.sharpen.matte_source = MATTE + ":nolayer"
result["errors"]["layer"] = report_of(bpy.ops.facegraft.run_node)
scene.facegraft.sharpen.matte_source = MATTE
tree.nodes.remove(other)

result["run"] = list(bpy.ops.facegraft.run_node())
loaded = [n for n in tree.nodes if n.bl_idname == "CompositorNodeImage" and n.label.startswith("facegraft")]
over = [n for n in tree.nodes if n.bl_idname == "CompositorNodeAlphaOver"]
result["loaded"] = [n.image.filepath for n in loaded]
result["over_feeds_output"] = bool(over) and any(l.from_node == over[0] for l in tree.links)
render(2, "sharpen_render.exr")

# The live MaskFeather group on the matte sequence.
for link in list(tree.links):
    tree.links.remove(link)
matte = image_node(MATTE.replace("####", "0001"), 3)
tree.nodes.active = matte
scene.facegraft.node = "MaskFeather"
scene.facegraft.maskfeather.grow, scene.facegraft.maskfeather.feather = 3, 0.0
bpy.ops.facegraft.add_live_feather()
group = tree.nodes.active
tree.links.new(matte.outputs["Image"], group.inputs[0])
tree.links.new(group.outputs[0], output_socket())
render(1, "feather_grow.exr")
scene.facegraft.maskfeather.grow, scene.facegraft.maskfeather.feather = 0, 6.0  # live update callback
render(1, "feather_soft.exr")

bpy.ops.preferences.addon_disable(module=MODULE)  # 4.5 hangs at exit with registered classes
print("FACEGRAFT_RESULT " + json.dumps(result))
