# facegraft Nuke toolset: the menu (GUI sessions only).
import facegraft.plugins.nuke.adapter

facegraft.plugins.nuke.adapter.add_menu()
