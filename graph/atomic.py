"""Replacing files and directories on POSIX file systems so that a crash never leaves half of one.

Shared by ``kzgraph build`` (the output directory), every ``-o FILE`` and ``kzgraph load`` (the
store's generations): data is flushed to disk (``fsync``) before the rename that publishes it,
and the directory holding the rename is flushed after it, so that after a power cut the name
points at either the whole old content or the whole new one.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import tempfile
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2  # linux/fs.h
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Flush a directory's entries (the renames and creations inside it) to disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: str | os.PathLike[str]) -> None:
    """Flush every file and directory below ``root``, then ``root`` itself."""
    for folder, _dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = os.path.join(folder, name)
            if os.path.islink(path):
                continue
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(folder)


def umask() -> int:
    """The process's file-mode creation mask, read without changing it where Linux allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def exchange(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Swap two existing paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False, having changed nothing, where the kernel, the C library or the file system
    cannot do it; raises OSError for any other failure.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), os.fspath(b))


def write_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` as a user of ``> path`` in a shell expects, but atomically.

    A regular file (or a new one) is replaced by a rename from a flushed temporary sibling, so
    readers see the old bytes or the new ones, never half; an existing file keeps its mode, a
    new one gets the user's umask. A symlink is written through (the file it points to is
    replaced, the link stays). A FIFO or a character device (``/dev/stdout``, ``/dev/null``) is
    opened and written in place. Block devices, sockets and directories are refused.

    Raises:
        OSError: the write failed or the destination cannot be written (errno and path set).
    """
    shown = os.fspath(path)
    try:
        info: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", shown)
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
            with open(path, "wb") as handle:  # no rename: write into the pipe or device itself
                handle.write(data)
            return
        kind = "a block device" if stat.S_ISBLK(info.st_mode) else "a socket or special file"
        raise OSError(errno.EINVAL, f"is {kind}; refusing to write to it", shown)
    target = Path(os.path.realpath(path))  # through symlinks: replace the file, keep the link
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~umask()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
