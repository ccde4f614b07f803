"""Progress bars for long operations: shown on a terminal, silent when output is piped.

One helper, :func:`progress_bar`, so that every long operation (loading a large file,
publishing to an endpoint) behaves alike: a tqdm bar on standard error when standard error is a
terminal, and nothing at all otherwise, so logs and pipes stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, Protocol


class Progress(Protocol):
    """What an operation reports to: ``update(n)`` after each step, ``set_description``."""

    def update(self, n: int = 1) -> Any: ...

    def set_description(self, desc: str) -> Any: ...


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def set_description(self, desc: str) -> None:
        pass


def wants_progress(stream: IO[str] | None = None, force: bool | None = None) -> bool:
    """True when a bar should be drawn: ``force`` if given, else whether ``stream`` is a tty."""
    if force is not None:
        return force
    target = sys.stderr if stream is None else stream
    try:
        return bool(target.isatty())
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


@contextmanager
def progress_bar(
    total: int | None,
    description: str,
    unit: str = "it",
    force: bool | None = None,
    stream: IO[str] | None = None,
) -> Iterator[Progress]:
    """A progress bar on ``stream`` (default stderr) if it is a terminal, else a silent one.

    Args:
        total: the number of units expected (bytes, graphs), or None if unknown.
        description: what is being done ("loading big.nq").
        unit: "B" for bytes (then sizes are shown as kB/MB), or a noun such as "graph".
        force: draw (True) or not (False) whatever the stream is.
    """
    if not wants_progress(stream, force):
        yield _Silent()
        return
    import shutil

    from tqdm import tqdm  # type: ignore[import-untyped, unused-ignore]

    bytes_unit = unit == "B"
    # a terminal that reports no size (a bare pty) would get no bar at all: tqdm then
    # computes zero columns and a negative number of rows
    size = shutil.get_terminal_size()
    columns, rows = size.columns or 80, size.lines or 24
    bar = tqdm(
        total=total,
        desc=description,
        unit=unit,
        unit_scale=bytes_unit,
        unit_divisor=1024 if bytes_unit else 1000,
        file=stream or sys.stderr,
        leave=False,
        ncols=min(columns, 120),
        nrows=rows,
        mininterval=0.2,
    )
    try:
        yield bar
    finally:
        bar.close()
