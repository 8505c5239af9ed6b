"""`facegraft install nuke|blender`: register the host add-ons (see facegraft.install)."""
import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("install", help="install the Nuke toolset, the Blender extension, or a model for Nuke's Cattery")
    hosts = parser.add_subparsers(title="hosts", metavar="HOST", required=True)
    nuke = hosts.add_parser("nuke", help="stage the toolset in ~/.nuke/facegraft and add one line to init.py")
    nuke.add_argument("--nuke-dir", type=Path, help="Nuke's user folder (default: ~/.nuke)")
    nuke.add_argument("--uninstall", action="store_true", help="remove the line and the toolset")
    nuke.set_defaults(func=run_nuke)
    blender = hosts.add_parser("blender", help="build the extension zip and install it with Blender")
    blender.add_argument("--blender", help="Blender executable (default: blender on PATH; none: print how)")
    blender.add_argument("--out", type=Path, default=Path("."), help="folder for the extension zip (default: .)")
    blender.set_defaults(func=run_blender)
    cattery = hosts.add_parser("cattery", help="package a model's TorchScript export for Nuke's Cattery")
    cattery.add_argument("model", metavar="MODEL", help="model folder (facegraft train)")
    cattery.add_argument("--out", type=Path, default=Path("."), help="folder that receives Cattery/<Node>/")
    cattery.add_argument("--name", help="node name (default: the model folder's name)")
    cattery.set_defaults(func=run_cattery)


def run_nuke(args: argparse.Namespace) -> int:
    from facegraft.install.nuke import default_nuke_dir, install_nuke, uninstall_nuke
    from facegraft.install.toolchain import facegraft_command

    nuke_dir = args.nuke_dir or default_nuke_dir()
    if args.uninstall:
        done = uninstall_nuke(nuke_dir)
        print(f"removed facegraft from {done.init_py}" if done.changed else f"facegraft was not installed in {nuke_dir}")
    else:
        done = install_nuke(nuke_dir, command=facegraft_command())
        state = "added to" if done.changed else "already in"
        print(f"toolset in {done.toolset}; line {state} {done.init_py}"
              + (f" (backup: {done.backup})" if done.backup else ""))
    return 0


def run_blender(args: argparse.Namespace) -> int:
    from facegraft.install.blender import install_blender
    from facegraft.install.toolchain import facegraft_command

    done = install_blender(args.out, blender=args.blender, command=facegraft_command())
    if done.installed:
        print(f"installed {done.zip_path.name} into Blender; enable it in Preferences > Add-ons if needed")
    else:
        print(f"built {done.zip_path}; no Blender found. Install it with:\n  {' '.join(done.command)}\n"
              "or in Blender: Edit > Preferences > Get Extensions > Install from Disk")
    return 0


def run_cattery(args: argparse.Namespace) -> int:
    from facegraft.install.cattery import package_cattery

    done = package_cattery(args.model, args.out, name=args.name)
    print(f"wrote {done.folder}; in Nuke run make_cat.py there to create {done.cat_file.name} (see README.txt)")
    return 0
