"""A JSONL file of rollouts read in two passes, so that scoring it takes bounded memory.

The first pass checks every line (JSON, a valid sample, an id not seen before) and keeps only
numbers per line: its byte offset, its line number and its group's index. The second pass reads
whole groups back by offset, a chunk at a time, groups in the order they first appear: the
same order as reading the whole file, without holding it. 200,000 lines cost a few MiB of index
instead of every sample (``bench/score_memory.py``).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "in.jsonl"
>>> _ = path.write_text('{"completion": "a", "group": "g"}\\n{"completion": "b", "group": "h"}\\n'
...                     '{"completion": "c", "group": "g"}\\nnot json\\n')
>>> rollouts = index_rollouts(path)
>>> len(rollouts), rollouts.bad[0][0]
(3, 4)
>>> with rollouts.reader() as read:
...     [[s.completion for s in read(rows)] for rows in rollouts.chunks(2)]
[['a', 'c'], ['b']]
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from rewardkit.errors import InputError
from rewardkit.types import Sample

BOM = b"\xef\xbb\xbf"


@dataclass
class Rollouts:
    """The valid lines of a rollout file, by number: offsets, line numbers, group indices."""

    path: Path
    offsets: np.ndarray
    linenos: np.ndarray
    groups: np.ndarray
    bad: list[tuple[int, str]] = field(default_factory=list)
    """(line number, problem) of every line skipped, in file order."""

    def __len__(self) -> int:
        return len(self.offsets)

    def chunks(self, size: int) -> Iterator[np.ndarray]:
        """Row indices to score together: whole groups, groups in order of first appearance,
        at least ``size`` rows each (but the last); ``size <= 0``: everything at once."""
        order = np.argsort(self.groups, kind="stable")
        if size <= 0 or len(order) <= size:
            if len(order):
                yield order
            return
        starts = np.flatnonzero(np.diff(self.groups[order])) + 1
        begin = 0
        for start in starts:
            if start - begin >= size:
                yield order[begin:start]
                begin = int(start)
        yield order[begin:]

    @contextmanager
    def reader(self) -> Iterator[Callable[[np.ndarray], list[Sample]]]:
        """``read(rows)``: the samples of those rows, read back from the file."""
        with self.path.open("rb") as f:

            def read(rows: np.ndarray) -> list[Sample]:
                return [_read_sample(f, int(self.offsets[r]), int(self.linenos[r])) for r in rows]

            yield read


def _read_sample(f: BinaryIO, offset: int, lineno: int) -> Sample:
    f.seek(offset)
    raw = f.readline()
    return Sample.from_dict(json.loads(_text(raw, lineno, offset, f.name)), default_id=str(lineno))


def _text(raw: bytes, lineno: int, offset: int, name: object) -> str:
    if offset == 0 and raw.startswith(BOM):
        raw = raw[len(BOM) :]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{name}:{lineno}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
            f"{exc.start + 1}); save the file as UTF-8"
        ) from None


def _id_hash(sample_id: str) -> int:
    return (
        int.from_bytes(hashlib.blake2b(sample_id.encode(), digest_size=8).digest(), "little") >> 1
    )


def index_rollouts(path: Path, strict: bool = False) -> Rollouts:
    """First pass: check every line, keep the numbers of the valid ones (``strict``: stop at the
    first bad line). A file that is missing or not UTF-8 is an InputError naming it."""
    if path.is_dir():
        raise InputError(f"input file {str(path)!r} is a directory, not a file")
    if not path.is_file():
        raise InputError(f"input file {str(path)!r} does not exist")
    # typed arrays: 8 bytes a line, where lists of ints cost about 36
    offsets, linenos, groups, hashes = (array("q") for _ in range(4))
    group_index: dict[str, int] = {}
    bad: list[tuple[int, str]] = []
    offset = 0
    try:
        f = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read input file {str(path)!r}: {exc.strerror}") from None
    with f:
        for lineno, raw in enumerate(f, 1):
            start, offset = offset, offset + len(raw)
            text = _text(raw, lineno, start, path)
            if not text.strip():
                continue
            try:
                sample = Sample.from_dict(json.loads(text), default_id=str(lineno))
            except (json.JSONDecodeError, InputError) as exc:
                bad.append((lineno, str(exc)))
                if strict:
                    break
                continue
            offsets.append(start)
            linenos.append(lineno)
            groups.append(group_index.setdefault(sample.group, len(group_index)))
            hashes.append(_id_hash(sample.id))
    rollouts = Rollouts(
        path,
        np.frombuffer(offsets, dtype=np.int64),
        np.frombuffer(linenos, dtype=np.int64),
        np.frombuffer(groups, dtype=np.int64),
        bad,
    )
    return _drop_duplicates(rollouts, np.frombuffer(hashes, dtype=np.int64), strict)


def _drop_duplicates(rollouts: Rollouts, hashes: np.ndarray, strict: bool) -> Rollouts:
    """Mark a line whose id an earlier line has as bad; ids are compared by hash first, then
    read back exactly for the few rows whose hashes collide."""
    order = np.argsort(hashes, kind="stable")
    same = hashes[order][1:] == hashes[order][:-1]
    if not same.any():
        return rollouts
    suspects = np.unique(np.concatenate([order[1:][same], order[:-1][same]]))
    first_line: dict[str, int] = {}
    duplicate: list[int] = []
    with rollouts.reader() as read:
        for row, sample in zip(suspects, read(suspects), strict=True):  # file order
            if sample.id in first_line:
                duplicate.append(int(row))
                line = int(rollouts.linenos[row])
                rollouts.bad.append(
                    (line, f"duplicate id {sample.id!r} (first at line {first_line[sample.id]})")
                )
            else:
                first_line[sample.id] = int(rollouts.linenos[row])
    if not duplicate:
        return rollouts
    bad = sorted(rollouts.bad)
    keep = np.ones(len(rollouts), dtype=bool)
    keep[duplicate] = False
    if strict:  # stop at the first bad line: keep nothing after it
        keep &= rollouts.linenos < bad[0][0]
        bad = bad[:1]
    return Rollouts(
        rollouts.path,
        rollouts.offsets[keep],
        rollouts.linenos[keep],
        rollouts.groups[keep],
        bad,
    )


def read_samples(path: Path, strict: bool) -> tuple[list[Sample], list[tuple[int, str]]]:
    """Every sample of a JSONL file in file order, and (line number, problem) for every bad line
    (for commands that need them all at once: ``check --data``, ``probe``)."""
    rollouts = index_rollouts(path, strict)
    with rollouts.reader() as read:
        samples = read(np.arange(len(rollouts)))
    return samples, rollouts.bad
