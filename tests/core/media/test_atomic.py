"""The writers' rules (core.media.atomic): what counts as an input, atomic writes, stale temporaries,
one writer per file."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from facegraft.core.errors import OutputError
from facegraft.core.media.atomic import (STALE_FOREIGN_SECONDS, atomic_write_path, atomic_write_text,
                                         exclusive_writer, host_tag, lock_path, prepare_output, process_alive,
                                         refuse_overwrite, remove_stale_temporaries, temporary_name)


@pytest.fixture
def plate(tmp_path: Path) -> Path:
    folder = tmp_path / "plate"
    folder.mkdir()
    for frame in (1001, 1002, 1003):
        (folder / f"p.{frame}.exr").write_bytes(b"frame %d" % frame)
    return folder


def test_an_alias_of_the_input_folder_is_the_input(plate: Path, tmp_path: Path) -> None:
    os.symlink(plate, tmp_path / "alias")
    inputs = [str(plate / "p.####.exr")]
    for output in (tmp_path / "alias/p.####.exr", plate / "p.%04d.exr", plate / "p.@@@@.exr",
                   tmp_path / "alias/../plate/p.$F4.exr", plate / "p.#.exr"):
        with pytest.raises(OutputError, match="would overwrite the input"):
            refuse_overwrite(output, inputs)
    with pytest.raises(OutputError, match="p.1002.exr"):  # frames renumbered onto other input frames
        refuse_overwrite(tmp_path / "alias/p.####.exr", [plate / "p.1001.exr", plate / "p.1002.exr"], frames=[1002])
    # positive controls: another name in the aliased folder, or another folder, is a new file
    refuse_overwrite(tmp_path / "alias/swap.####.exr", inputs, frames=[1001, 1002, 1003])
    refuse_overwrite(tmp_path / "out/p.####.exr", inputs, frames=[1001, 1002, 1003])


def test_a_hard_link_or_symlink_to_an_input_is_the_input(plate: Path, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    os.link(plate / "p.1002.exr", tmp_path / "out/o.1002.exr")
    os.symlink(plate / "p.1003.exr", tmp_path / "out/o.1003.exr")
    inputs = [str(plate / "p.####.exr")]
    with pytest.raises(OutputError, match="o.1002.exr"):
        refuse_overwrite(tmp_path / "out/o.####.exr", inputs, frames=[1001, 1002])
    with pytest.raises(OutputError, match="o.1003.exr"):
        refuse_overwrite(tmp_path / "out/o.####.exr", inputs, frames=[1003])
    with pytest.raises(OutputError, match="o.1002.exr"):  # frames not given: the output frames on disk
        refuse_overwrite(tmp_path / "out/o.####.exr", inputs)
    refuse_overwrite(tmp_path / "out/o.####.exr", inputs, frames=[1001])


def test_folders_and_the_files_in_them_are_inputs(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "training").mkdir(parents=True)
    (model / "model.safetensors").write_bytes(b"w")
    (model / "training/state.json").write_text("{}")
    os.symlink(model / "model.safetensors", tmp_path / "w.pt")
    for output in (model, tmp_path / "w.pt", model / "training/state.json"):
        with pytest.raises(OutputError, match="overwrite the input"):
            refuse_overwrite(output, [model])
    refuse_overwrite(tmp_path / "export.pt", [model])


def test_prepare_output_refuses_folders_where_files_go(plate: Path, tmp_path: Path) -> None:
    (tmp_path / "out/o.1002.exr").mkdir(parents=True)
    with pytest.raises(OutputError, match="o.1002.exr: is a folder"):
        prepare_output(tmp_path / "out/o.####.exr", inputs=[plate / "p.####.exr"], frames=[1001, 1002])
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file where an output folder goes"):
        prepare_output(tmp_path / "file", folder=True)
    assert not (tmp_path / "new").exists()
    prepare_output(tmp_path / "new/o.####.exr", inputs=[plate / "p.####.exr"], frames=[1])
    assert not (tmp_path / "new").exists()  # nothing is created before the work starts


def test_atomic_write_leaves_the_old_file_or_the_new_one(tmp_path: Path) -> None:
    final = tmp_path / "a.json"
    atomic_write_text(final, "old")
    with pytest.raises(RuntimeError):
        with atomic_write_path(final) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed mid-write")
    assert final.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]
    (tmp_path / "d.json").mkdir()
    with pytest.raises(OutputError, match="d.json: is a folder"):
        atomic_write_text(tmp_path / "d.json", "x")


def test_temporary_names_carry_host_and_process(tmp_path: Path) -> None:
    tmp = temporary_name(tmp_path / "s.1001.exr")
    assert tmp.name == f".s.1001.tmp-{host_tag()}-{os.getpid()}.exr"


def test_stale_temporaries_of_dead_writers_are_removed(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = temporary_name(tmp_path / "a.exr")
    names = {
        "dead": f".a.1001.tmp-{host_tag()}-{dead.pid}.exr",
        "untagged_dead": f".a.1002.tmp-{dead.pid}.exr",
        "staging_dir": f".previous.tmp-{host_tag()}-{dead.pid}",
        "foreign_new": ".a.1003.tmp-otherhost-12.exr",
        "foreign_old": ".a.1004.tmp-otherhost-13.exr",
        "alive": f".a.1005.tmp-{host_tag()}-{os.getppid()}.exr",
        "not_ours": ".a.1006.exr",
        "mine": mine.name,
    }
    for key, name in names.items():
        (tmp_path / name).mkdir() if key == "staging_dir" else (tmp_path / name).write_bytes(b"x")
    old = time.time() - STALE_FOREIGN_SECONDS - 10
    os.utime(tmp_path / names["foreign_old"], (old, old))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / names["dead"]).write_bytes(b"x")
    removed = {p.name for p in remove_stale_temporaries(tmp_path)}
    assert removed == {names["dead"], names["untagged_dead"], names["staging_dir"], names["foreign_old"]}
    assert (tmp_path / "sub" / names["dead"]).exists()
    assert {p.name for p in remove_stale_temporaries(tmp_path, recursive=True)} == {names["dead"]}


def test_a_zombie_writer_is_not_alive() -> None:
    child = subprocess.Popen(["sleep", "30"])
    assert process_alive(child.pid)
    child.kill()
    deadline = time.monotonic() + 5
    while process_alive(child.pid) and time.monotonic() < deadline:  # unreaped: a zombie
        time.sleep(0.01)
    assert not process_alive(child.pid)
    child.wait()


def test_a_second_writer_is_refused_and_a_killed_ones_lock_is_taken_over(tmp_path: Path) -> None:
    target = tmp_path / "new" / "a.json"
    with exclusive_writer(target):
        assert lock_path(target).is_file()
    assert not (tmp_path / "new").exists()  # the folder made for the lock, left empty, is removed
    target = tmp_path / "a.json"
    with exclusive_writer(target):
        with pytest.raises(OutputError, match=rf"a.json: another facegraft run \(pid {os.getpid()}"):
            with exclusive_writer(target):
                pass
    assert not lock_path(target).exists()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom facegraft.core.media.atomic import exclusive_writer\n"
        f"with exclusive_writer({str(target)!r}):\n    print('held', flush=True)\n    time.sleep(60)\n")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(OutputError, match="another facegraft run"):
        with exclusive_writer(target):
            pass
    holder.kill()
    holder.wait()
    assert lock_path(target).exists()  # a SIGKILL leaves the file, but not the lock
    with exclusive_writer(target):
        assert remove_stale_temporaries(tmp_path) == []  # held: not stale
    assert not lock_path(target).exists()
    lock_path(target).write_text("pid 1 on a killed run")
    assert remove_stale_temporaries(tmp_path) == [lock_path(target)] and not lock_path(target).exists()


def test_a_bind_mount_of_the_input_folder_is_the_input(plate: Path, tmp_path: Path) -> None:
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    done = subprocess.run(["mount", "--bind", str(plate), str(mounted)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot bind-mount here ({done.stderr.strip() or done.returncode}); symlinks cover the rest")
    try:
        with pytest.raises(OutputError, match="would overwrite the input"):
            refuse_overwrite(mounted / "p.####.exr", [plate / "p.####.exr"], frames=[1001])
        with pytest.raises(OutputError, match="would overwrite the input"):
            refuse_overwrite(mounted / "p.1001.exr", [plate / "p.1001.exr"])
        refuse_overwrite(mounted / "swap.####.exr", [plate / "p.####.exr"], frames=[1001])
    finally:
        subprocess.run(["umount", str(mounted)], capture_output=True)
