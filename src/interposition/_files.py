"""File primitives shared by the stores: atomic replace, locked append, names."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "KeptFile",
    "atomic_write",
    "exclusive",
    "locked_fd",
    "safe_filename",
    "truncate_torn_tail",
    "write_all",
]

_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME_LENGTH = 200


def atomic_write(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Replace ``path`` with ``data`` so that readers see old or new, never half.

    Writes a temporary file in the same directory, then renames it over the
    target. Parent directories are created.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            if fsync:
                tmp.flush()
                os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


@contextlib.contextmanager
def locked_fd(path: Path, *, create: bool = True) -> Iterator[int]:
    """Open ``path`` read-write and hold an exclusive advisory lock on it.

    The lock serializes writers across threads and processes (each call opens
    its own file description).
    """
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_RDWR | (os.O_CREAT if create else 0)
    fd = os.open(path, flags, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


@contextlib.contextmanager
def exclusive(fd: int) -> Iterator[None]:
    """Hold an exclusive advisory lock on an open descriptor."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def write_all(fd: int, data: bytes, offset: int | None = None) -> None:
    """Write every byte of ``data`` (at ``offset``, or at the current position)."""
    if offset is None:
        written = os.write(fd, data)  # one call, unless the write is short
        if written == len(data):
            return
        data = data[written:]
    view = memoryview(data)
    while view:
        if offset is None:
            written = os.write(fd, view)
        else:
            written = os.pwrite(fd, view, offset)
            offset += written
        view = view[written:]


def truncate_torn_tail(
    fd: int, size: int, complete: Callable[[bytes], bool] | None = None
) -> int:
    """End a line-oriented file on a newline; return the new size.

    A crash in the middle of an append leaves a last line without its
    newline: that partial line is cut off, so the next append starts on a
    fresh line. A last line that ``complete`` accepts (it only lacks its
    newline, e.g. after a short write) is kept and given one instead.
    """
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return size
    block = 4096
    end = size
    while end > 0:
        start = max(0, end - block)
        chunk = os.pread(fd, end - start, start)
        newline = chunk.rfind(b"\n")
        if newline != -1:
            line_start = start + newline + 1
            break
        end = start
    else:
        line_start = 0
    if complete is not None and complete(os.pread(fd, size - line_start, line_start)):
        write_all(fd, b"\n", size)
        return size + 1
    os.ftruncate(fd, line_start)
    return line_start


def safe_filename(name: str) -> str:
    """Turn ``name`` into a file name that cannot leave its directory.

    Path separators, ``..``, control and other unusual characters become
    ``_``; leading dots are removed (no hidden files, no ``..``); the result
    is at most 200 characters.
    """
    cleaned = _UNSAFE_NAME_CHARS.sub("_", name).lstrip(".")
    cleaned = cleaned[:_MAX_NAME_LENGTH]
    if not cleaned or cleaned in {".", ".."}:
        msg = f"cannot make a file name from {name!r}"
        raise ValueError(msg)
    return cleaned


class KeptFile:
    """A descriptor kept open between appends, so that an append is one write.

    The first ``fd()`` call opens the file; ``prepare(fd)`` runs once then,
    under an exclusive lock, to repair a torn tail or write a header. Call
    ``close()`` before the file is replaced (an atomic save renames a new
    file over it), so that the next append opens the new file.
    """

    def __init__(self, path: Path, flags: int) -> None:
        """Remember where and how to open; nothing is opened yet."""
        self._path = path
        self._flags = flags
        self._fd: int | None = None
        self._lock = threading.RLock()
        self._finalizer: weakref.finalize[[int], KeptFile] | None = None

    def fd(self, prepare: Callable[[int], None]) -> int:
        """The open descriptor; opened (and the file prepared) on first use.

        It is opened again when the open file was unlinked (another store
        object or process saved, renaming a new file over it, or deleted it),
        so that appends never go to a replaced file. One ``fstat`` of the
        descriptor tells, without a lookup of the path.
        """
        fd = self._fd
        if fd is not None:
            if os.fstat(fd).st_nlink:
                return fd
            self.close()
        with self._lock:
            if self._fd is None:
                with locked_fd(self._path) as locked:
                    prepare(locked)
                    fd = os.open(self._path, self._flags)
                self._fd = fd
                self._finalizer = weakref.finalize(self, os.close, fd)
            return self._fd

    def close(self) -> None:
        """Close the descriptor, if open."""
        with self._lock:
            if self._finalizer is not None:
                self._finalizer()
            self._finalizer = None
            self._fd = None
