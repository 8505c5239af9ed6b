"""Map the one import namespace `facegraft` onto the top-level folders (DESIGN.md, Layout).

`facegraft.core` is `core/`, `facegraft.nodes` is `nodes/`, and so on; `facegraft` itself is an
implicit namespace package, so the repository's top level shows the architecture.
"""
from setuptools import find_packages, setup

TOP_LEVEL = ("core", "nodes", "plugins", "install")

found = find_packages(include=[f"{top}*" for top in TOP_LEVEL])
setup(
    packages=[f"facegraft.{name}" for name in found],
    package_dir={f"facegraft.{top}": top for top in TOP_LEVEL},
)
