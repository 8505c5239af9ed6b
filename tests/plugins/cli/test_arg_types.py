"""The argparse types of every numeric flag, and the rule that every verb uses them."""
import argparse

import pytest

from facegraft.plugins.cli.arg_types import device_name, id_list, integer, real
from facegraft.plugins.cli.main import build_parser, main


def test_ranges_and_non_finite_numbers() -> None:
    count = integer(1, 10)
    assert count("1") == 1 and count(" 10 ") == 10
    rate = real(0, 1, low_open=True)
    assert rate("1") == 1.0 and rate("1e-4") == 1e-4
    for parse, text, message in ((count, "0", r"0 is outside \[1, 10\]"), (count, "1.5", "not a whole number"),
                                 (rate, "0", r"0 is outside \(0, 1\]"), (rate, "nan", "not a finite number"),
                                 (real(), "inf", "not a finite number"), (real(), "-inf", "not a finite number"),
                                 (id_list, "1,x", "comma list"), (device_name, "gpu", "not a device")):
        with pytest.raises(argparse.ArgumentTypeError, match=message):
            parse(text)
    assert id_list("0, 2") == (0, 2) and device_name("cuda:1") == "cuda:1"


def _actions(parser: argparse.ArgumentParser, path: str = "facegraft"):  # type: ignore[no-untyped-def]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _actions(sub, f"{path} {name}")
        else:
            yield path, action


def test_every_numeric_flag_takes_a_checked_type() -> None:
    """The rule for new flags (plugins/cli/arg_types.py): no bare int/float without choices."""
    bare = [f"{path} {'/'.join(action.option_strings)}" for path, action in _actions(build_parser())
            if action.type in (int, float) and not action.choices]
    assert not bare, f"use facegraft.plugins.cli.arg_types for: {bare}"


def test_a_bad_flag_is_one_line_and_exit_2(capsys) -> None:
    assert main(["extract", "x.mp4", "-o", "a.json", "--size", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["facegraft: error: extract: argument --size: 0 is outside [8, 4096]; give a value in that range"]
    assert main(["--version"]) == 0
