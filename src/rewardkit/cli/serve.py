"""``rewardkit serve CONFIG``: the reward server (FastAPI + uvicorn), secure by default.

A bearer token is required: ``$REWARDKIT_TOKEN``, else ``--token-file``, else the file beside
the state (``<state>.token``), written with a new token (printed once) on the first start and
read again on every restart. The default bind is loopback. State persists in SQLite (``--state``), so a
restarted server resumes the exact schedule. See docs/server.md.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from rewardkit.cli.inputs import cores
from rewardkit.errors import RewardKitError, require

if TYPE_CHECKING:
    from rewardkit.server.app import ServerSettings

err = Console(stderr=True, soft_wrap=True)


def serve(
    config: Path = typer.Argument(..., help="program config (YAML)"),
    host: str = typer.Option("127.0.0.1", help="interface to bind (loopback by default)"),
    port: int = typer.Option(8000, help="port (0: any free port, printed at start)"),
    workers: int = typer.Option(
        -1, help="scoring processes (-1: one per core; 0: in this process), as in score"
    ),
    state: Path = typer.Option(
        Path("rewardkit-state.db"), help="SQLite file holding the schedule state"
    ),
    token_file: Path | None = typer.Option(None, help="file holding the bearer token"),
    insecure_no_auth: bool = typer.Option(
        False, "--insecure-no-auth", help="accept requests without a token (trusted hosts only)"
    ),
    timeout: float = typer.Option(
        30.0,
        help="seconds one reward component may take on one sample (with --workers); past it the "
        "worker is killed and that sample is verifier-failed, the rest of its batch still scored",
    ),
    max_body_mb: float = typer.Option(16.0, help="largest request body, in MiB (413 above)"),
    max_samples: int = typer.Option(4096, help="most samples per request (413 above)"),
    queue_limit: int = typer.Option(
        64, help="scoring requests admitted at once (503 above): at least the clients' concurrency"
    ),
    coalesce: bool = typer.Option(
        True,
        "--coalesce/--no-coalesce",
        help="merge requests waiting for a worker into one scoring batch, each answered alone",
    ),
    keep_alive: int = typer.Option(
        75, help="seconds an idle client connection is kept open (above the clients' own)"
    ),
    ray: bool = typer.Option(False, "--ray", help="run on Ray Serve (needs the 'ray' extra)"),
    replicas: int = typer.Option(2, help="Ray Serve replicas (with --ray)"),
    monitor: Path | None = typer.Option(
        None,
        help="YAML file of a reward-hacking monitor section (the keys of a train config's "
        "`monitor:`), fed by /v1/observe",
    ),
) -> None:
    """Serve a reward program over HTTP: /v1/score, /get_reward (OpenRLHF), /v1/observe,
    /v1/state, /healthz, /metrics."""
    try:
        uvicorn = require("uvicorn", "server")
        from rewardkit.cli.programs import load_program
        from rewardkit.monitor import Monitor
        from rewardkit.server.app import ServerSettings, Service, build_app
        from rewardkit.server.security import resolve_token
        from rewardkit.server.state import ProgramState, StateStore

        program = load_program(config)
        section = _monitor_section(monitor)
        watcher = None if section is None else Monitor(section)
        authority = None if ray else ProgramState(program, StateStore(state), watcher)
        token, source = (None, "") if insecure_no_auth else resolve_token(token_file, state)
    except RewardKitError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    settings = ServerSettings(
        token=token,
        workers=cores() if workers < 0 else workers,
        timeout_s=timeout,
        max_body_bytes=int(max_body_mb * 1024 * 1024),
        max_samples=max_samples,
        queue_limit=queue_limit,
        coalesce=coalesce,
    )
    if ray:
        _serve_on_ray(config, settings, state, host, port, replicas, token, source, section)
        return
    assert authority is not None
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot bind {host}:{port}: {exc}")
        raise typer.Exit(2) from None
    # connections made during startup, or faster than they are accepted, wait in the backlog
    sock.listen(max(2048, queue_limit))
    _raise_open_files(queue_limit)
    bound = sock.getsockname()[1]
    _announce(
        host,
        bound,
        token,
        source,
        f"{settings.workers} scoring worker(s)",
        state,
        authority.version,
    )
    app = build_app(Service(authority, settings))
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            timeout_graceful_shutdown=60,
            access_log=False,
            timeout_keep_alive=keep_alive,
        )
    )
    server.run(sockets=[sock])


def _raise_open_files(queue_limit: int) -> None:
    """Raise the soft limit on open files to the hard one: each client connection is a file,
    and a soft limit of 1024 (common) would refuse connections far below ``--queue-limit``."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else max(soft, 4 * queue_limit + 1024)
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            err.print(f"[yellow]warning:[/yellow] open files limited to {soft} (ulimit -n)")


def _monitor_section(path: Path | None) -> dict[str, Any] | None:
    """The monitor section in the YAML file ``path`` (None without one)."""
    if path is None:
        return None
    import yaml

    from rewardkit.errors import ConfigError

    try:
        section = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError([(f"--monitor {path}", f"cannot read it: {exc}")]) from None
    if not isinstance(section, dict):
        raise ConfigError(
            [(f"--monitor {path}", "expected a mapping of monitor options (on_alert: warn, ...)")]
        )
    return section


def _announce(
    host: str, port: int, token: str | None, source: str, work: str, state: Path, version: int
) -> None:
    from rewardkit.server.security import token_path

    if token is None:
        err.print(
            "[yellow]warning:[/yellow] --insecure-no-auth: anyone who reaches this port can "
            "score and change the schedule state"
        )
    elif source == "generated":
        # Printed once, on stdout, so that a launcher can capture it; never logged again. A
        # restart reads it from the file beside the state and prints only where it is.
        print(f"token: {token}", flush=True)
        err.print(f"bearer token kept in {token_path(state)} (mode 0600) for restarts")
    else:
        err.print(f"bearer token from {source}")
    if host not in ("127.0.0.1", "::1", "localhost"):
        err.print(f"[yellow]warning:[/yellow] listening on {host}, beyond this machine")
    err.print(f"{work}; state {state} (version {version})")
    print(f"listening on http://{host}:{port}", flush=True)
    sys.stdout.flush()


def _serve_on_ray(
    config: Path,
    settings: ServerSettings,
    state: Path,
    host: str,
    port: int,
    replicas: int,
    token: str | None,
    source: str,
    monitor: dict[str, Any] | None,
) -> None:
    """Ray Serve: the state actor and the replicas; runs until SIGTERM or Ctrl-C."""
    try:
        ray = require("ray", "ray")
        from rewardkit.server.ray_serve import run
        from rewardkit.server.ray_serve import stop as stop_ray

        if port == 0:
            with socket.socket() as probe:  # Serve takes a port number, not a socket
                probe.bind((host, 0))
                port = probe.getsockname()[1]
        actor = run(config, settings, state, host, port, replicas, monitor)
    except RewardKitError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    version = ray.get(actor.version.remote())
    _announce(host, port, token, source, f"{replicas} Ray Serve replica(s)", state, version)
    err.print("state actor 'rewardkit_state' (namespace 'rewardkit')")
    stop.wait()
    stop_ray(actor)
