"""A flat directory that remembers what was fsynced, and forgets the rest at a cut.

The rules are POSIX's, stricter than ext4's (a store that survives them
survives ext4):

- a file's content (bytes and size) is durable as of its last fsync or
  fdatasync (the two are the same here);
- a name (create, rename, unlink) is durable once its directory is fsynced;
  until then a cut brings back the directory as it was at its last fsync: a new
  file vanishes (synced or not), a renamed one is back under its old name, an
  unlinked one is back;
- a file whose name became durable before its first fsync comes back empty;
- modes and times are not modelled as durable (chmod goes straight through);
- optionally (``cut(keep=...)``), some unsynced pages of a durably named file
  survive, in no order, as when a disk had written part of its cache back: a
  store must not rely on the order of writes between two fsyncs either.

The backing directory holds exactly the durable state, as plain files: a sync
writes its pages there, a directory sync moves names there, nothing else does.
So what a cut leaves is what the backing directory holds, and a layer killed
with SIGKILL is a power cut too. Everything else lives in memory. One
directory, no subdirectories, no hard links: enough for a SQLite file, its
WAL and shm, and files replaced by rename.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PAGE = 4096
STAGING = ".powercut-"
"""Prefix of the backing files a directory sync moves through (never shown)."""


class DiskError(Exception):
    """An operation the layer does not support or a missing file (with errno)."""

    def __init__(self, errno: int, message: str) -> None:
        super().__init__(message)
        self.errno = errno


@dataclass(eq=False)
class Node:
    """One file: its current content, and where its durable content is."""

    data: bytearray
    mode: int
    durable_name: str | None
    """Its name in the durable directory (its synced content is in the backing
    file of that name), or None: not durably named, ``snapshot`` holds it."""
    snapshot: bytes = b""
    dirty: set[int] = field(default_factory=set)
    """Pages written since the last sync."""
    mtime_ns: int = 0


@dataclass(frozen=True)
class CutReport:
    """What a cut threw away."""

    files: int
    """Files the durable directory holds (what survived)."""
    dirty_pages: int
    """Pages written but not synced, now lost."""
    names: int
    """Names created, renamed or removed since the last directory sync, undone."""
    kept_pages: int = 0
    """Unsynced pages the disk had written back anyway (``cut(keep=...)``)."""


class Disk:
    """The durable and the current state of one directory."""

    def __init__(self, backing: Path) -> None:
        self.backing = backing
        self.names: dict[str, Node] = {}
        self.durable: dict[str, Node] = {}
        self.root_mode = stat.S_IMODE(backing.stat().st_mode)
        self.cuts = 0
        self._load()

    def _load(self) -> None:
        self.names, self.durable = {}, {}
        for entry in sorted(self.backing.iterdir()):
            if entry.name.startswith(STAGING):
                entry.unlink()  # a directory sync that a cut interrupted
                continue
            if not entry.is_file() or entry.is_symlink():
                raise DiskError(
                    1, f"{entry}: only plain files are supported in the backing dir"
                )
            st = entry.stat()
            node = Node(
                bytearray(entry.read_bytes()),
                stat.S_IMODE(st.st_mode),
                entry.name,
                mtime_ns=st.st_mtime_ns,
            )
            self.names[entry.name] = node
            self.durable[entry.name] = node

    # -- the namespace -------------------------------------------------------

    def lookup(self, name: str) -> Node:
        """The file called ``name`` now (ENOENT if none)."""
        node = self.names.get(name)
        if node is None:
            raise DiskError(2, f"no file {name!r}")
        return node

    def create(self, name: str, mode: int, now_ns: int) -> Node:
        """A new empty file called ``name`` (replacing one of that name)."""
        _check_name(name)
        node = Node(bytearray(), stat.S_IMODE(mode), None, mtime_ns=now_ns)
        self.names[name] = node
        return node

    def unlink(self, name: str) -> None:
        """Remove ``name`` (durably at the next directory sync)."""
        self.lookup(name)
        del self.names[name]

    def rename(self, old: str, new: str) -> None:
        """Move ``old`` to ``new``, replacing it (durably at the next dir sync)."""
        _check_name(new)
        self.names[new] = self.lookup(old)
        if old != new:
            del self.names[old]

    def chmod_root(self, mode: int) -> None:
        """Set the directory's mode (at once, also on the backing directory)."""
        self.root_mode = stat.S_IMODE(mode)
        os.chmod(self.backing, self.root_mode)

    def chmod(self, node: Node, mode: int) -> None:
        """Set the mode (at once, also on the backing file)."""
        node.mode = stat.S_IMODE(mode)
        if node.durable_name is not None:
            os.chmod(self.backing / node.durable_name, node.mode)

    # -- content -------------------------------------------------------------

    @staticmethod
    def read(node: Node, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset`` of the current content."""
        return bytes(node.data[offset : offset + size])

    @staticmethod
    def write(node: Node, offset: int, data: bytes, now_ns: int) -> int:
        """Write ``data`` at ``offset`` (in memory until the next sync)."""
        if not data:
            return 0
        end = offset + len(data)
        if offset > len(node.data):
            _mark(node, len(node.data), offset)
            node.data.extend(bytes(offset - len(node.data)))
        node.data[offset:end] = data
        _mark(node, offset, end)
        node.mtime_ns = now_ns
        return len(data)

    @staticmethod
    def truncate(node: Node, length: int, now_ns: int) -> None:
        """Cut or extend (with zeros) the current content to ``length``."""
        old = len(node.data)
        if length < old:
            del node.data[length:]
        else:
            node.data.extend(bytes(length - old))
        _mark(node, min(old, length), max(old, length))
        node.mtime_ns = now_ns

    # -- durability ----------------------------------------------------------

    def sync(self, node: Node) -> None:
        """The file's fsync or fdatasync: its current content becomes durable."""
        if node.durable_name is None:
            node.snapshot = bytes(node.data)
        elif node.dirty:
            fd = os.open(self.backing / node.durable_name, os.O_WRONLY)
            try:
                for page in sorted(node.dirty):
                    chunk = node.data[page * PAGE : (page + 1) * PAGE]
                    if chunk:
                        os.pwrite(fd, chunk, page * PAGE)
                os.ftruncate(fd, len(node.data))
            finally:
                os.close(fd)
        node.dirty.clear()

    def sync_dir(self) -> None:
        """The directory's fsync: the current names become the durable names."""
        new = dict(self.names)
        new_name = {id(node): name for name, node in new.items()}
        staged: dict[int, Path] = {}
        for name, node in self.durable.items():
            if new.get(name) is node:
                continue
            path = self.backing / name
            if id(node) in new_name:  # renamed: its synced content moves along
                staged[id(node)] = self.backing / f"{STAGING}{len(staged)}"
                path.rename(staged[id(node)])
            else:
                path.unlink()
                node.durable_name = None
                node.snapshot = b""  # unreachable after a cut from now on
        for name, node in new.items():
            if self.durable.get(name) is node:
                continue
            path = self.backing / name
            if id(node) in staged:
                staged[id(node)].replace(path)
            else:
                path.write_bytes(node.snapshot)
                os.chmod(path, node.mode)
            node.durable_name = name
            node.snapshot = b""
        self.durable = new

    def sync_all(self) -> None:
        """Everything durable, as a clean shutdown (``sync``, then unmount) does."""
        for node in self.names.values():
            self.sync(node)
        self.sync_dir()

    def cut(self, keep: Callable[[], bool] | None = None) -> CutReport:
        """Power cut: forget unsynced writes; the durable state is current.

        With ``keep``, each unsynced page of a durably named file is asked
        whether the disk had written it back anyway (in no particular order,
        as a disk cache does): those pages survive, the file growing to hold
        them. Without, every unsynced write is lost.
        """
        reachable = {id(n): n for n in [*self.names.values(), *self.durable.values()]}
        dirty = sum(len(n.dirty) for n in reachable.values())
        changed = {k for k in {*self.names, *self.durable}} - {
            k for k, n in self.durable.items() if self.names.get(k) is n
        }
        kept = 0
        if keep is not None:
            for name, node in self.durable.items():
                pages = [p for p in sorted(node.dirty) if keep()]
                kept += self._write_back(name, node, pages)
        self._load()
        self.cuts += 1
        return CutReport(len(self.durable), dirty - kept, len(changed), kept)

    def _write_back(self, name: str, node: Node, pages: list[int]) -> int:
        written = 0
        fd = os.open(self.backing / name, os.O_WRONLY)
        try:
            for page in pages:
                chunk = node.data[page * PAGE : (page + 1) * PAGE]
                if chunk:
                    os.pwrite(fd, chunk, page * PAGE)
                    written += 1
        finally:
            os.close(fd)
        return written


def _mark(node: Node, start: int, end: int) -> None:
    if end > start:
        node.dirty.update(range(start // PAGE, (end - 1) // PAGE + 1))


def _check_name(name: str) -> None:
    if not name or "/" in name or name in (".", ".."):
        raise DiskError(1, f"{name!r}: one flat directory, no subdirectories")
    if name.startswith(STAGING):
        raise DiskError(1, f"{name!r}: names starting {STAGING!r} are the layer's")
