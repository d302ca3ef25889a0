"""The power-cut model: what was fsynced survives a cut, nothing else does."""

from __future__ import annotations

from pathlib import Path

import pytest

from hal_sim.powercut.disk import PAGE, Disk, DiskError


def disk(tmp_path: Path) -> Disk:
    backing = tmp_path / "backing"
    backing.mkdir(exist_ok=True)
    return Disk(backing)


def content(d: Disk, name: str) -> bytes:
    return d.read(d.lookup(name), 0, 1 << 30)


def test_synced_content_survives_and_later_writes_do_not(tmp_path: Path) -> None:
    d = disk(tmp_path)
    f = d.create("db", 0o600, 0)
    d.write(f, 0, b"committed", 0)
    d.sync(f)
    d.sync_dir()
    d.write(f, 0, b"COMMITTED and more", 0)
    assert content(d, "db") == b"COMMITTED and more"
    report = d.cut()
    assert content(d, "db") == b"committed"
    assert (tmp_path / "backing" / "db").read_bytes() == b"committed"
    assert (report.files, report.dirty_pages) == (1, 1)


def test_only_dirty_pages_are_written_back_and_size_follows(tmp_path: Path) -> None:
    d = disk(tmp_path)
    f = d.create("wal", 0o644, 0)
    d.write(f, 0, b"a" * (3 * PAGE), 0)
    d.sync(f)
    d.sync_dir()
    d.write(f, PAGE + 5, b"B", 0)  # one page dirty
    d.truncate(f, 2 * PAGE, 0)  # and a shorter file
    d.sync(f)
    d.write(f, 10 * PAGE, b"lost", 0)  # a hole and a tail, never synced
    d.cut()
    want = b"a" * (PAGE + 5) + b"B" + b"a" * (PAGE - 6)
    assert content(d, "wal") == want


def test_a_new_file_vanishes_until_its_directory_is_synced(tmp_path: Path) -> None:
    d = disk(tmp_path)
    f = d.create("new", 0o644, 0)
    d.write(f, 0, b"synced data", 0)
    d.sync(f)  # the content is durable, the name is not
    d.cut()
    with pytest.raises(DiskError):
        d.lookup("new")
    g = d.create("new", 0o644, 0)
    d.write(g, 0, b"never synced", 0)
    d.sync_dir()  # the name is durable, the content is not
    d.cut()
    assert content(d, "new") == b""


def test_rename_and_unlink_are_undone_without_a_directory_sync(tmp_path: Path) -> None:
    d = disk(tmp_path)
    for name, text in (("cred", b"old"), ("gone", b"x")):
        f = d.create(name, 0o600, 0)
        d.write(f, 0, text, 0)
        d.sync(f)
    d.sync_dir()
    tmp = d.create("cred.tmp", 0o600, 0)
    d.write(tmp, 0, b"new", 0)
    d.sync(tmp)
    d.rename("cred.tmp", "cred")
    d.unlink("gone")
    assert sorted(d.names) == ["cred"]
    d.cut()
    assert sorted(d.names) == ["cred", "gone"]
    assert content(d, "cred") == b"old"
    # Once the directory is synced, the replacement holds.
    tmp = d.create("cred.tmp", 0o600, 0)
    d.write(tmp, 0, b"new", 0)
    d.sync(tmp)
    d.rename("cred.tmp", "cred")
    d.sync_dir()
    d.cut()
    assert sorted(d.names) == ["cred", "gone"]
    assert content(d, "cred") == b"new"
    assert sorted(p.name for p in (tmp_path / "backing").iterdir()) == ["cred", "gone"]


def test_a_renamed_file_keeps_its_synced_content_and_syncs_under_its_old_name(
    tmp_path: Path,
) -> None:
    d = disk(tmp_path)
    f = d.create("a", 0o644, 0)
    d.write(f, 0, b"v1", 0)
    d.sync(f)
    d.sync_dir()
    d.rename("a", "b")
    d.write(f, 0, b"v2", 0)
    d.sync(f)  # durable under "a" until the directory is synced
    d.cut()
    assert sorted(d.names) == ["a"]
    assert content(d, "a") == b"v2"
    d.rename("a", "b")
    d.sync_dir()
    d.cut()
    assert sorted(d.names) == ["b"]
    assert content(d, "b") == b"v2"


def test_a_clean_shutdown_keeps_everything_and_a_new_disk_reads_it(
    tmp_path: Path,
) -> None:
    d = disk(tmp_path)
    f = d.create("x", 0o640, 0)
    d.write(f, 0, b"all of it", 0)
    d.sync_all()
    again = disk(tmp_path)
    assert content(again, "x") == b"all of it"
    assert again.lookup("x").mode == 0o640


def test_names_outside_one_flat_directory_are_refused(tmp_path: Path) -> None:
    d = disk(tmp_path)
    with pytest.raises(DiskError, match="flat directory"):
        d.create("sub/x", 0o644, 0)
    with pytest.raises(DiskError, match="layer's"):
        d.create(".powercut-0", 0o644, 0)


def test_a_disk_that_wrote_back_part_of_its_cache_keeps_those_pages(
    tmp_path: Path,
) -> None:
    d = disk(tmp_path)
    f = d.create("wal", 0o644, 0)
    d.write(f, 0, b"a" * (2 * PAGE), 0)
    d.sync(f)
    d.sync_dir()
    g = d.create("unnamed", 0o644, 0)  # its name is not durable: gone regardless
    d.write(g, 0, b"x", 0)
    d.sync(g)
    d.write(f, 0, b"B" * PAGE, 0)  # page 0
    d.write(f, 3 * PAGE, b"C", 0)  # page 3, past a hole
    answers = iter([False, False, True])  # pages 0 and 2 lost, 3 written back
    report = d.cut(keep=lambda: next(answers))
    assert content(d, "wal") == b"a" * (2 * PAGE) + bytes(PAGE) + b"C"
    assert (report.kept_pages, report.dirty_pages) == (1, 2)
    assert sorted(d.names) == ["wal"]
