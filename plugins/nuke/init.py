# facegraft Nuke toolset: paths only (runs in batch mode too). `facegraft install nuke` stages this
# folder and adds it with nuke.pluginAddPath in the user's init.py.
import os

import nuke

nuke.pluginAddPath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
