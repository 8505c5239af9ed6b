"""Where the `facegraft` command is, as the host add-ons should call it."""
import shutil
import sys
from pathlib import Path


def facegraft_command() -> list[str]:
    """The argv prefix that runs this installation's `facegraft` command.

    The console script beside the running interpreter when there is one, else the one on PATH,
    else `python -m facegraft.plugins.cli.main` with this interpreter.
    """
    beside = Path(sys.executable).with_name("facegraft")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("facegraft")
    if found:
        return [found]
    return [sys.executable, "-m", "facegraft.plugins.cli.main"]
