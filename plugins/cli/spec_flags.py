"""Command-line flags built from a node schema, so a verb and its node describe a parameter once."""
import argparse
from collections.abc import Collection
from typing import Any

from facegraft.nodes.schema import Bool, Choice, NodeSpec, Param, String


def add_spec_flags(parser: argparse.ArgumentParser, spec: NodeSpec, *, skip: Collection[str] = ()) -> None:
    """Add `--name-with-dashes` for each parameter of `spec` (values are validated by the schema)."""
    for param in spec.params:
        if param.name in skip:
            continue
        flag = "--" + param.name.replace("_", "-")
        units = f" [{param.units}]" if param.units else ""
        if isinstance(param, Bool):
            parser.add_argument(flag, dest=param.name, action="store_true", help=param.help + units)
        elif isinstance(param, Choice):
            parser.add_argument(flag, dest=param.name, choices=param.choices, default=param.default,
                                help=f"{param.help} (default {param.default})")
        else:
            required = isinstance(param, String) and param.required
            parser.add_argument(flag, dest=param.name, type=_parser_of(param), required=required,
                                default=None if required else param.default,
                                help=param.help + units + ("" if required else f" (default {param.default!r})"))


def spec_values(args: argparse.Namespace, spec: NodeSpec, *, skip: Collection[str] = ()) -> dict[str, Any]:
    """The parameter values of `spec` held by parsed `args`."""
    return {p.name: getattr(args, p.name) for p in spec.params if p.name not in skip}


def _parser_of(param: Param):  # type: ignore[no-untyped-def]
    def parse(text: str) -> Any:
        try:
            return param.parse(text)
        except Exception as exc:  # argparse shows the knob's own message
            raise argparse.ArgumentTypeError(str(exc)) from exc

    parse.__name__ = param.type
    return parse
