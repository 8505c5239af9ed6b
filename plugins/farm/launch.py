"""`python -m facegraft.plugins.farm.launch VERB ...`: the facegraft command, importing only VERB.

Farm tasks start a fresh facegraft process per chunk; the full command imports every verb
module (torch among them) before it parses, seconds per chunk that a `media convert` or
`farm task` does not need. This entry point behaves as `facegraft` for one verb.
"""
import sys
from collections.abc import Sequence

from facegraft.plugins.cli.main import VERBS, main as cli_main


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    verb = next((a for a in args if not a.startswith("-")), None)
    return cli_main(args, verbs=(verb,) if verb in VERBS else VERBS)


if __name__ == "__main__":
    sys.exit(main())
