"""Resource limits of one sandboxed run (rlimits), and the environment a run sees.

Standard library only: the sandbox worker loads it into a clean interpreter that never imports
rewardkit.

>>> Limits(time_limit_s=1.0).cpu_seconds
2
"""

from __future__ import annotations

import math
import resource
from dataclasses import asdict, dataclass
from typing import Any

CHILD_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one run.

    Attributes:
        time_limit_s: wall-clock limit; CPU time is capped at the next whole second plus one.
        memory_mb: address-space limit of each process (RLIMIT_AS).
        max_processes: processes and threads the run may hold at once (RLIMIT_NPROC, per uid;
            enforced only when the run gets its own uid, i.e. when the worker is root).
        max_output_bytes: cap on stdout and on stderr; a run that writes more is killed.
        max_file_bytes: largest file the run may write (RLIMIT_FSIZE).
        max_open_files: open file descriptors (RLIMIT_NOFILE).

    >>> Limits(memory_mb=256).memory_mb
    256
    """

    time_limit_s: float = 2.0
    memory_mb: int = 512
    max_processes: int = 8
    max_output_bytes: int = 1 << 20
    max_file_bytes: int = 16 << 20
    max_open_files: int = 64

    def __post_init__(self) -> None:
        if not 0 < self.time_limit_s <= 600:
            raise ValueError(f"time_limit_s must be in (0, 600], got {self.time_limit_s}")
        if self.memory_mb < 32:
            raise ValueError(
                f"memory_mb must be at least 32 (an interpreter needs it), got {self.memory_mb}"
            )
        for name in ("max_processes", "max_output_bytes", "max_file_bytes", "max_open_files"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")

    @property
    def cpu_seconds(self) -> int:
        """The RLIMIT_CPU soft limit: a backstop behind the wall-clock kill."""
        return math.ceil(self.time_limit_s) + 1

    def apply(self) -> None:
        """Set these limits on the calling process (a forked child, still root)."""
        mem = self.memory_mb * 1024 * 1024
        cpu = self.cpu_seconds
        for kind, value in (
            (resource.RLIMIT_AS, (mem, mem)),
            (resource.RLIMIT_CPU, (cpu, cpu + 1)),
            (resource.RLIMIT_FSIZE, (self.max_file_bytes, self.max_file_bytes)),
            (resource.RLIMIT_NOFILE, (self.max_open_files, self.max_open_files)),
            (resource.RLIMIT_CORE, (0, 0)),
            (resource.RLIMIT_NPROC, (self.max_processes, self.max_processes)),
        ):
            resource.setrlimit(kind, value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        return cls(**data)
