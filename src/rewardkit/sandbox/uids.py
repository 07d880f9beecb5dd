"""Unprivileged uids for the sandbox's worker slots, leased across processes with a lock file.

>>> UID_BASE, UID_SPAN
(61000, 2000)
"""

from __future__ import annotations

import fcntl
import os
import pwd

UID_BASE = 61000
UID_SPAN = 2000


class UidLease:
    """An unprivileged uid held for one worker slot, across processes, by an exclusive flock.

    Skips uids that have a passwd entry: those belong to someone, and a sweep would kill their
    processes.
    """

    def __init__(self, lock_dir: str = "/run/rewardkit-sandbox"):
        os.makedirs(lock_dir, mode=0o700, exist_ok=True)
        for uid in range(UID_BASE, UID_BASE + UID_SPAN):
            if _has_passwd_entry(uid):
                continue
            # Held open for the lease's lifetime: the lock lives as long as the file handle.
            handle = open(os.path.join(lock_dir, f"uid-{uid}.lock"), "a")  # noqa: SIM115
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            self.uid, self._handle = uid, handle
            return
        raise RuntimeError(f"no free sandbox uid in [{UID_BASE}, {UID_BASE + UID_SPAN})")

    def release(self) -> None:
        self._handle.close()


def _has_passwd_entry(uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True
