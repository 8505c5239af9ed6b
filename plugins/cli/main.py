"""The `facegraft` command: turns arguments into settings and calls the library.

A verb lives in its own module exposing `register(subparsers)`, which adds its parser and sets
`func`; `func(args) -> int` runs it. A `FacegraftError` is printed as one line, without a
traceback, and the exit code is 2.
"""
import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from facegraft.core import __version__
from facegraft.core.errors import FacegraftError

# Verb modules under facegraft.plugins.cli, in --help order.
VERBS: tuple[str, ...] = ("info", "media", "extract", "alignments", "faces", "convert", "train", "export", "farm", "node", "install", "eval", "check_pair", "swap")


def build_parser(verbs: Sequence[str] = VERBS) -> argparse.ArgumentParser:
    """The parser with the given verb modules (all by default; a farm task imports only its own)."""
    parser = argparse.ArgumentParser(
        prog="facegraft", description="Float, color-managed face replacement for VFX plates.")
    parser.add_argument("--version", action="version", version=f"facegraft {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or summaries")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    subparsers = parser.add_subparsers(title="verbs", metavar="VERB", required=True)
    for name in verbs:
        importlib.import_module(f"facegraft.plugins.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, *, verbs: Sequence[str] = VERBS) -> int:
    parser = build_parser(verbs)
    args = parser.parse_args(argv)
    logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
                        format="facegraft: %(levelname)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except FacegraftError as error:
        print(f"facegraft: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("facegraft: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
