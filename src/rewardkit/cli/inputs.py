"""What every command checks at its edges: one error line (exit 2), and outputs that can be written.

A command reads its files, checks that its outputs can be written, and only then works, so a
typo in ``--output`` costs nothing. Messages print the user's text as it is: rich markup never
eats ``[x1, y1, x2, y2]`` out of a hint.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from rewardkit.errors import OutputError

err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: <message>`` on stderr (the message verbatim) and exit with ``code``."""
    err.print("[red]error:[/red] " + escape(str(message)), highlight=False)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """Print ``warning: <message>`` on stderr, verbatim."""
    err.print("[yellow]warning:[/yellow] " + escape(str(message)), highlight=False)


def cores() -> int:
    """The CPU cores this process may use: what ``--workers -1`` means in score and serve."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_file(path: Path, inputs: Sequence[Path] = (), what: str = "output") -> None:
    """Raise OutputError unless ``path`` can be written as a file, before any work is done.

    Refused: a directory, a missing parent folder, the same file as an input, and any place the
    system will not let us create it (``/proc``, a read-only filesystem, no permission). The
    probe opens the file for appending and removes it again when it did not exist.
    """
    name = str(path)
    if path.is_dir():
        raise OutputError(
            f"{what} {name!r} is a directory; give a file path, e.g. {name}/out.jsonl"
        )
    if not path.parent.is_dir():
        raise OutputError(
            f"{what} {name!r}: the folder {str(path.parent)!r} does not exist; create it first"
        )
    for source in inputs:
        if _same_file(path, source) or path.resolve() == source.resolve():
            raise OutputError(
                f"{what} {name!r} is the input file; write to another path so the input survives"
            )
    existed = path.exists()
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise OutputError(_cannot_write(what, path, exc)) from None
    if not existed:
        path.unlink(missing_ok=True)


def check_output_dir(path: Path, what: str = "output folder") -> None:
    """Raise OutputError unless a folder can be created (or written) at ``path``."""
    name = str(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{what} {name!r} is a file; give a folder")
    base = path
    while not base.exists():  # the nearest folder that exists is where ours will be made
        base = base.parent
    if not base.is_dir():
        raise OutputError(f"{what} {name!r}: {str(base)!r} is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=base):
            pass
    except OSError as exc:
        raise OutputError(_cannot_write(what, base, exc)) from None


def _cannot_write(what: str, path: Path, exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return f"no space left on {path}; free some space or write elsewhere"
    reason = {
        errno.EROFS: "it is on a read-only filesystem",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "that folder takes no new files",  # /proc, /sys
    }.get(exc.errno or 0, exc.strerror or str(exc))
    return f"cannot write {what} {str(path)!r}: {reason}; choose another path"


def write_failed(path: Path, exc: OSError, what: str = "output") -> OutputError:
    """The OutputError for an OSError raised while writing ``path`` (a full disk, mostly)."""
    return OutputError(_cannot_write(what, path, exc))
