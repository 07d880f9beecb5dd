"""Sandboxed execution of untrusted Python: a pool of pre-started workers, test formats, and a
Sandbox Fusion client.

- ``pool.SandboxPool`` / ``pool.default_pool()``: run ``protocol.RunRequest`` s, get
  ``protocol.ExecResult`` s.
- ``cases.parse_reference`` / ``cases.run_suite``: stdin/stdout pairs and asserts, per-test
  results.
- ``time_limits.reference_limits``: per-problem time limits from the reference solution's time.
- ``fusion.FusionBackend``: the same interface against a Sandbox Fusion ``run_code`` service.

Nothing here is imported by ``import rewardkit``; the code rewards import it on first use.
See docs/sandbox.md for what the sandbox contains and what it does not.
"""
