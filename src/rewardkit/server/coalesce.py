"""Many small scoring requests scored as one batch, each answered with its own rows.

A trainer that scores each rollout as it finishes (NeMo-Gym's ``/verify``, slime's ``--rm-url``,
OpenRLHF's ``/get_reward`` with a batch of 1) sends thousands of one-sample requests; scored one
by one, each pays a whole batch's fixed cost (a thread hop, a round trip to a worker, the
program's per-call work). ``Coalescer`` keeps at most ``slots`` batches in flight (one per
scoring worker): a request that arrives while they are all busy waits, and when a slot frees
every waiting request that fits goes into the next batch, up to ``max_samples`` samples.
Under no load a request is scored at once, alone (``window_s`` > 0 holds the first one back that
long for company).

Merging keeps each request's meaning:

- groups: a group name that two merged requests share is renamed in the later one for the
  scoring (``join``), so a groupwise component (a groupwise judge, a reward model normalised
  per group) sees each request's groups as if scored alone;
- ids: a sample id already taken in the batch is renamed the same way, and ``split`` gives every
  row, error record and error message its own id back;
- a request with ``group_size`` (the server computes its advantages and batch metrics) is never
  merged: its metrics are its own batch's;
- all rows of a batch are scored at one state version;
- when a merged batch fails as a whole (``on_error: raise``, a pool that cannot start a
  worker), each of its requests is scored again alone (``Service``), so only the bad one fails.

A component that looks at the whole batch (``reward_model`` with ``normalise: batch``) sees the
merged batch, as it sees a worker's share of a large request; ``--no-coalesce`` turns merging off.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any

from rewardkit.types import Failure, Sample, ScoredBatch

SEP = "\x1f"
"""Between a renamed id or group and its request's index in the batch (ASCII unit separator)."""


@dataclass
class Ask:
    """One waiting request: its samples, whether it has ``group_size`` (then the server computes
    its advantages and it is scored alone), and its answer."""

    samples: list[Sample]
    grouped: bool
    future: asyncio.Future[Any]
    alone: bool = False
    ids: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.ids = frozenset(s.id for s in self.samples)
        self.alone = self.alone or self.grouped


Outcome = Any | BaseException
"""What scoring one batch gives each of its requests: an answer, or the exception to raise."""


class Coalescer:
    """Merges waiting requests into batches; ``score`` runs one batch (in ``executor``) and
    returns one outcome per request, in order."""

    def __init__(
        self,
        score: Callable[[list[Ask]], list[Outcome]],
        executor: Executor,
        slots: int,
        max_samples: int,
        window_s: float = 0.0,
        merge: bool = True,
    ):
        self.score, self.executor, self.slots = score, executor, slots
        self.max_samples, self.window_s, self.merge = max_samples, window_s, merge
        self.busy = 0
        self.batches = 0
        self.merged = 0
        """Requests that went into a batch with others (a count for tests and the bench)."""
        self._waiting: deque[Ask] = deque()
        self._first_at = 0.0
        self._timer: asyncio.TimerHandle | None = None

    async def submit(self, samples: list[Sample], grouped: bool = False) -> Any:
        """The outcome of scoring ``samples``: ``score``'s answer, or its exception raised."""
        loop = asyncio.get_running_loop()
        ask = Ask(samples, grouped, loop.create_future(), alone=not self.merge)
        if not self._waiting:
            self._first_at = time.monotonic()
        self._waiting.append(ask)
        self._dispatch()
        return await ask.future

    def _on_timer(self) -> None:
        self._timer = None
        self._dispatch()

    def _dispatch(self) -> None:
        while self.busy < self.slots and self._waiting:
            wait = self._hold_back()
            if wait > 0:
                if self._timer is None:
                    self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)
                return
            batch = self._take()
            if not batch:
                continue
            self.busy += 1
            self.batches += 1
            if len(batch) > 1:
                self.merged += len(batch)
            loop = asyncio.get_running_loop()
            done = loop.run_in_executor(self.executor, self.score, batch)
            done.add_done_callback(lambda f, b=batch: self._answer(b, f))  # type: ignore[misc]

    def _hold_back(self) -> float:
        """Seconds to wait for more requests before sending what waits (0: send now)."""
        if self.window_s <= 0 or self._waiting[0].alone:
            return 0.0
        if sum(len(a.samples) for a in self._waiting) >= self.max_samples:
            return 0.0
        return self._first_at + self.window_s - time.monotonic()

    def _take(self) -> list[Ask]:
        """The oldest waiting request, and every later one that fits beside it."""
        while self._waiting and self._waiting[0].future.done():  # its client went away
            self._waiting.popleft()
        if not self._waiting:
            return []
        first = self._waiting.popleft()
        batch, n = [first], len(first.samples)
        if not first.alone:
            kept: deque[Ask] = deque()
            while self._waiting:
                ask = self._waiting.popleft()
                if ask.future.done():
                    continue
                if ask.alone or n + len(ask.samples) > self.max_samples:
                    kept.append(ask)
                    continue
                batch.append(ask)
                n += len(ask.samples)
            self._waiting = kept
        if self._waiting:
            self._first_at = time.monotonic()
        return batch

    def _answer(self, batch: list[Ask], done: asyncio.Future[list[Outcome]]) -> None:
        self.busy -= 1
        exc = done.exception() if not done.cancelled() else asyncio.CancelledError()
        outcomes: Sequence[Outcome] = [exc] * len(batch) if exc else done.result()
        for ask, outcome in zip(batch, outcomes, strict=True):
            if ask.future.done():
                continue
            if isinstance(outcome, BaseException):
                ask.future.set_exception(outcome)
            else:
                ask.future.set_result(outcome)
        self._dispatch()


@dataclass
class Joined:
    """Merged requests as one batch: its samples, each request's rows, and renamed ids."""

    samples: list[Sample]
    spans: list[tuple[int, int]]
    own_id: dict[str, str]
    """A renamed id -> the id its request sent."""


def join(asks: Sequence[Ask]) -> Joined:
    """One batch of the requests' samples, a group or id already taken renamed in the later one.

    >>> a = [Sample(id="0", group="g", prompt="", completion=str(i)) for i in range(2)]
    >>> loop = asyncio.new_event_loop()
    >>> j = join([Ask(a[:1], False, loop.create_future()), Ask(a[1:], False, loop.create_future())])
    >>> [(s.id, s.group) for s in j.samples], j.spans, j.own_id
    ([('0', 'g'), ('0\\x1f1', 'g\\x1f1')], [(0, 1), (1, 2)], {'0\\x1f1': '0'})
    >>> loop.close()
    """
    ids: set[str] = set()
    groups: set[str] = set()
    out: list[Sample] = []
    spans: list[tuple[int, int]] = []
    own_id: dict[str, str] = {}
    for k, ask in enumerate(asks):
        new_ids = _renames(ask.ids, ids, k)
        new_groups = _renames({s.group for s in ask.samples}, groups, k)
        own_id.update({new: old for old, new in new_ids.items()})
        start = len(out)
        for s in ask.samples:
            if s.id in new_ids or s.group in new_groups:
                s = replace(s, id=new_ids.get(s.id, s.id), group=new_groups.get(s.group, s.group))
            out.append(s)
        spans.append((start, len(out)))
    return Joined(out, spans, own_id)


def _renames(names: set[str] | frozenset[str], taken: set[str], k: int) -> dict[str, str]:
    """A new name for each of ``names`` already in ``taken``; adds the names used to ``taken``."""
    clash = names & taken
    renamed: dict[str, str] = {}
    for name in sorted(clash):
        new = f"{name}{SEP}{k}"
        while new in taken or new in names:
            new += SEP
        renamed[name] = new
        taken.add(new)
    taken.update(names - clash)
    return renamed


def split(scored: ScoredBatch, asks: Sequence[Ask], joined: Joined) -> list[ScoredBatch]:
    """Each request's part of the merged ``scored``, with its own samples and ids."""
    owner = {s.id: k for k, (a, b) in enumerate(joined.spans) for s in joined.samples[a:b]}
    failures: list[list[Failure]] = [[] for _ in asks]
    unjudgeable: list[list[Failure]] = [[] for _ in asks]
    for records, into in ((scored.failures, failures), (scored.unjudgeable, unjudgeable)):
        for record in records:
            k = owner.get(record.sample_id)
            if k is not None:
                into[k].append(_own(record, joined.own_id))
    parts = []
    for k, (ask, (a, b)) in enumerate(zip(asks, joined.spans, strict=True)):
        values = {path: column[a:b] for path, column in scored.values.items()}
        parts.append(
            ScoredBatch(
                list(ask.samples), values, {}, {}, failures[k], scored.root, {}, unjudgeable[k]
            )
        )
    return parts


def _own(record: Failure, own_id: dict[str, str]) -> Failure:
    """``record`` with the id its request sent, in its field and its message."""
    old = own_id.get(record.sample_id)
    if old is None:
        return record
    message = record.message.replace(repr(record.sample_id), repr(old))
    message = message.replace(record.sample_id, old)
    return replace(record, sample_id=old, message=message)
