"""The `facegraft` command: turns arguments into settings and calls the library.

A verb lives in its own module exposing `register(subparsers)`, which adds its parser and sets
`func`; `func(args) -> int` runs it. A `FacegraftError`, a bad argument (numeric flags take the
types of `arg_types`), and a file the system refuses (missing, permissions) are printed as one
line, without a traceback, and the exit code is 2 (`-v` shows the traceback of the last kind).
Output piped into a reader that stops early (`| head`) ends quietly with status 141, as SIGPIPE would.
"""
import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from facegraft.core import __version__
from facegraft.core.errors import FacegraftError

# Verb modules under facegraft.plugins.cli, in --help order.
VERBS: tuple[str, ...] = ("info", "media", "extract", "alignments", "faces", "mask", "convert", "train", "pretrain", "export", "farm", "node", "install", "eval", "check_pair", "swap")


EXIT_BROKEN_PIPE = 141


class CommandParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: `facegraft: error: VERB: argument --x: ...`."""

    def error(self, message: str) -> NoReturn:
        verb = self.prog.removeprefix("facegraft").strip()
        where = f"{verb}: " if verb else ""
        self.exit(2, f"facegraft: error: {where}{message}\n")


def build_parser(verbs: Sequence[str] = VERBS) -> argparse.ArgumentParser:
    """The parser with the given verb modules (all by default; a farm task imports only its own)."""
    parser = CommandParser(
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
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version, or a bad argument (already printed)
        return done.code if isinstance(done.code, int) else 2
    logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
                        format="facegraft: %(levelname)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except FacegraftError as error:
        print(f"facegraft: error: {error}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("facegraft: interrupted; re-run the same command to resume", file=sys.stderr)
        return 130
    except OSError as error:
        if args.verbose or error.filename is None:
            raise
        print(f"facegraft: error: {error.filename}: {error.strerror}; check the path and its permissions",
              file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (tests capture it): nothing to flush


if __name__ == "__main__":
    sys.exit(main())
