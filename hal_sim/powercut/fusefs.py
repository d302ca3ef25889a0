"""The :class:`~hal_sim.powercut.disk.Disk` over FUSE (the only mfusepy importer).

Mounted single-threaded, with ``hard_remove`` (an unlinked open file is not
renamed to ``.fuse_hidden*``) and the kernel's name cache off: every open and
stat looks the name up again, and the answer refreshes the file's attributes,
so nothing stale outlives a cut. Attributes are cached for a second between
lookups: with no cache at all the kernel asks for them before every read, and
SQLite's WAL recovery (two small reads a frame) took half a second. Without a
``lock`` operation the kernel keeps POSIX locks itself, which is what SQLite
needs between processes on one host. A cut (:meth:`PowerCutFS.cut`, from
another thread) takes the same lock as every operation; handles opened before
it answer EIO afterwards.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from typing import Any

import mfusepy

from hal_sim.powercut.disk import CutReport, Disk, DiskError, Node

log = logging.getLogger(__name__)


def _name(path: str | None) -> str:
    if path is None:
        raise mfusepy.FuseOSError(errno.ENOENT)
    return path.lstrip("/")


class PowerCutFS:
    """FUSE operations (mfusepy's high-level, path-based API) over a Disk."""

    use_ns = True

    def __init__(self, disk: Disk) -> None:
        self.disk = disk
        self._mutex = threading.Lock()
        self._handles: dict[int, Node] = {}
        self._next_fh = 1
        self._root_ns = time.time_ns()

    # -- helpers -------------------------------------------------------------

    def _node(self, path: str | None, fh: int | None) -> Node:
        try:
            if fh:
                node = self._handles.get(fh)
                if node is None:  # opened before a cut
                    raise mfusepy.FuseOSError(errno.EIO)
                return node
            return self.disk.lookup(_name(path))
        except DiskError as exc:
            raise mfusepy.FuseOSError(exc.errno) from exc

    def _open(self, node: Node) -> int:
        fh = self._next_fh
        self._next_fh += 1
        self._handles[fh] = node
        return fh

    def cut(self, keep: Callable[[], bool] | None = None) -> CutReport:
        """Throw away what was not synced; every open handle goes stale."""
        with self._mutex:
            self._handles.clear()
            return self.disk.cut(keep)

    def sync_all(self) -> None:
        """Make everything durable (clean unmount)."""
        with self._mutex:
            self.disk.sync_all()

    # -- metadata ------------------------------------------------------------

    def getattr(self, path: str | None, fh: int | None = None) -> dict[str, Any]:
        """Stat of the root or one file."""
        with self._mutex:
            if path == "/":
                return {
                    "st_mode": stat.S_IFDIR | self.disk.root_mode,
                    "st_nlink": 2,
                    "st_mtime": self._root_ns,
                    "st_ctime": self._root_ns,
                    "st_atime": self._root_ns,
                }
            node = self._node(path, fh)
            size = len(node.data)
            return {
                "st_mode": stat.S_IFREG | node.mode,
                "st_nlink": 1,
                "st_size": size,
                "st_blocks": (size + 511) // 512,
                "st_mtime": node.mtime_ns,
                "st_ctime": node.mtime_ns,
                "st_atime": node.mtime_ns,
                "st_uid": os.getuid(),
                "st_gid": os.getgid(),
            }

    def readdir(self, path: str, fh: int) -> list[str]:
        """The current names."""
        with self._mutex:
            return [".", "..", *sorted(self.disk.names)]

    def opendir(self, path: str) -> int:
        """Only the root exists."""
        if path != "/":
            raise mfusepy.FuseOSError(errno.ENOTDIR)
        return 0

    def releasedir(self, path: str | None, fh: int) -> int:
        """Nothing to release."""
        return 0

    def access(self, path: str, amode: int) -> int:
        """Everything is allowed to whoever can reach the mount."""
        return 0

    def statfs(self, path: str) -> dict[str, int]:
        """A roomy disk."""
        return {
            "f_bsize": 4096,
            "f_frsize": 4096,
            "f_blocks": 1 << 20,
            "f_bfree": 1 << 19,
            "f_bavail": 1 << 19,
            "f_files": 1 << 16,
            "f_ffree": 1 << 15,
            "f_namemax": 255,
        }

    def chmod(self, path: str | None, mode: int) -> int:
        """Set a file's mode."""
        with self._mutex:
            if path == "/":
                self.disk.chmod_root(mode)
            else:
                self.disk.chmod(self._node(path, None), mode)
        return 0

    def chown(self, path: str | None, uid: int, gid: int) -> int:
        """Accepted and ignored (one owner)."""
        return 0

    def utimens(self, path: str | None, times: tuple[int, int] | None = None) -> int:
        """Set a file's times."""
        with self._mutex:
            node = self._node(path, None)
            node.mtime_ns = times[1] if times else time.time_ns()
        return 0

    # -- the namespace -------------------------------------------------------

    def create(self, path: str, mode: int, flags: int = 0) -> int:
        """A new file, open."""
        with self._mutex:
            try:
                node = self.disk.create(_name(path), mode, time.time_ns())
            except DiskError as exc:
                raise mfusepy.FuseOSError(exc.errno) from exc
            return self._open(node)

    def open(self, path: str, flags: int) -> int:
        """Open an existing file."""
        with self._mutex:
            return self._open(self._node(path, None))

    def unlink(self, path: str) -> int:
        """Remove a name."""
        with self._mutex:
            try:
                self.disk.unlink(_name(path))
            except DiskError as exc:
                raise mfusepy.FuseOSError(exc.errno) from exc
        return 0

    def rename(self, old: str, new: str) -> int:
        """Move a name, replacing the target."""
        with self._mutex:
            try:
                self.disk.rename(_name(old), _name(new))
            except DiskError as exc:
                raise mfusepy.FuseOSError(exc.errno) from exc
        return 0

    def mkdir(self, path: str, mode: int) -> int:
        """Refused: one flat directory."""
        log.warning("mkdir %s refused: the power-cut layer is one flat directory", path)
        raise mfusepy.FuseOSError(errno.EPERM)

    # -- content -------------------------------------------------------------

    def read(self, path: str | None, size: int, offset: int, fh: int) -> bytes:
        """Current content."""
        with self._mutex:
            return self.disk.read(self._node(path, fh), offset, size)

    def write(self, path: str | None, data: bytes, offset: int, fh: int) -> int:
        """Into memory; durable at the next fsync."""
        with self._mutex:
            return self.disk.write(self._node(path, fh), offset, data, time.time_ns())

    def truncate(self, path: str | None, length: int, fh: int | None = None) -> int:
        """Resize; durable at the next fsync."""
        with self._mutex:
            self.disk.truncate(self._node(path, fh), length, time.time_ns())
        return 0

    def fsync(self, path: str | None, datasync: int, fh: int) -> int:
        """Make this file's content durable."""
        with self._mutex:
            self.disk.sync(self._node(path, fh))
        return 0

    def fsyncdir(self, path: str | None, datasync: int, fh: int) -> int:
        """Make the directory's names durable."""
        with self._mutex:
            self.disk.sync_dir()
        return 0

    def flush(self, path: str | None, fh: int) -> int:
        """close(): durability is fsync's job, not close's."""
        return 0

    def release(self, path: str | None, fh: int) -> int:
        """Forget the handle."""
        with self._mutex:
            self._handles.pop(fh, None)
        return 0


def mount(fs: PowerCutFS, mountpoint: str) -> None:
    """Serve ``fs`` at ``mountpoint`` until unmounted (blocks)."""
    mfusepy.FUSE(
        fs,
        mountpoint,
        foreground=True,
        nothreads=True,
        fsname="powercut",
        hard_remove=True,
        attr_timeout=1,
        entry_timeout=0,
        negative_timeout=0,
    )
