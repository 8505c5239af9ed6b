"""facegraft for Blender's compositor (an extension: blender_manifest.toml; Blender 4.5 LTS and 5.0).

A sidebar panel in the Compositor ("facegraft" tab) shows the parameters of the facegraft nodes,
built from the node manifest bundled with the extension. "Run" runs the chosen node on the frames
of the selected Image node's sequence through the `facegraft` command (path in the add-on
preferences; Blender's Python has no torch), loads the result as an Image node and wires it over
the plate. MaskFeather is also offered as a live node group of Blender's own nodes.

`bpy` is imported only by `ui` (loaded in `register`), so the planning modules (`manifest_props`,
`sequence`, `command`) import anywhere and are tested without Blender.
"""


def register() -> None:
    from . import ui

    ui.register()


def unregister() -> None:
    from . import ui

    ui.unregister()
