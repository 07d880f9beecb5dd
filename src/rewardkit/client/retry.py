"""When a client of ``rewardkit serve`` retries: the backoff policy, the attempts of one call
(one idempotency key, one deadline), and which answers are a restart or a full queue rather than
rewardkit's own refusal."""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

IDEMPOTENCY_HEADER = "Idempotency-Key"
RETRY_STATUS = frozenset({502, 503, 504})
FRONT_RETRY_STATUS = frozenset({404, 500})
"""Retried only when answered by something in front of rewardkit (no state-version header)."""
OWN_HEADER = "x-rewardkit-state-version"
"""Every answer of a rewardkit app carries it; a proxy's own answers do not."""


@dataclass(frozen=True)
class Retry:
    """When to retry: waits of ``backoff_s * 2**attempt`` (at most ``max_wait_s``), each
    shortened at random by up to ``jitter`` of itself so that many clients do not come back at
    once (a larger Retry-After is used instead); no attempt starts after ``deadline_s`` from the
    call, and each attempt's timeout ends there too."""

    attempts: int | None = None
    """Most retries after the first attempt; None: as many as the deadline allows."""
    backoff_s: float = 0.2
    max_wait_s: float = 5.0
    deadline_s: float = 120.0
    """Seconds from the call until it gives up (a Ray Serve restart takes tens of seconds)."""
    jitter: float = 0.25

    def wait(self, attempt: int, retry_after: str | None = None, draw: float = 0.0) -> float:
        """Seconds before retry number ``attempt`` (0-based), the backoff shortened by
        ``jitter * draw`` (``draw`` in [0, 1)); never less than the server's Retry-After.

        >>> Retry(backoff_s=0.5).wait(2), Retry().wait(0, "3")
        (2.0, 3.0)
        >>> Retry(backoff_s=1.0, jitter=0.5).wait(1, None, draw=0.5)  # 2.0 shortened by a quarter
        1.5
        """
        delay = min(self.max_wait_s, self.backoff_s * 2**attempt) * (1.0 - self.jitter * draw)
        if retry_after is not None and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        return delay


class _Tries:
    """The attempts of one call: its idempotency key, its clock and whether to go on."""

    def __init__(self, retry: Retry, url: str):
        self.retry, self.url = retry, url
        self.key = uuid.uuid4().hex
        self.start = time.monotonic()
        self.count = 0

    def timeout(self, per_request: float) -> float:
        """Count an attempt; its timeout: the client's, cut at the deadline."""
        self.count += 1
        left = self.retry.deadline_s - (time.monotonic() - self.start)
        return max(0.001, min(per_request, left))

    def wait(self, retry_after: str | None = None) -> float | None:
        """Seconds to wait before the next attempt, or None: no attempt left before the deadline."""
        if self.retry.attempts is not None and self.count > self.retry.attempts:
            return None
        delay = self.retry.wait(self.count - 1, retry_after, random.random())
        if time.monotonic() - self.start + delay >= self.retry.deadline_s:
            return None
        return delay


def public_url(url: str) -> str:
    """``url`` without credentials or query (what errors and logs may show).

    >>> public_url("http://user:s3cret@h:8000/get_reward?token=s3cret")
    'http://h:8000/get_reward'
    """
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
