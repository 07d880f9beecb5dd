"""``rewardkit train``: the built-in trainer's CLI (``report`` and ``compare``: ``cli/runs.py``).

``rewardkit train`` with no argument runs the embedded default (the ``boxes`` task, a tiny model
warm-started locally, the IoU-threshold ladder) and prints where its run folder is.
"""

from __future__ import annotations

import errno
import json
import shlex
import shutil
import signal
import time
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from rewardkit.cli.inputs import check_output_dir, fail
from rewardkit.errors import ConfigError, RewardKitError

err = Console(stderr=True, soft_wrap=True)


def _progress_line(metrics: dict[str, float]) -> str:
    reward = metrics.get("reward/mean", float("nan"))
    levels = " ".join(
        f"{k.split('/', 1)[1]}={v:.3g}" for k, v in metrics.items() if k.startswith("schedule/")
    )
    return f"reward {reward:.3f}" + (f"  {levels}" if levels else "")


def _run(config: Any, resume: Path | None, total: int, quiet: bool, stop: Any) -> Any:
    from rewardkit.train.loop import train as run_training

    if not quiet and not err.is_terminal:  # a log file, CI, SLURM: plain lines, no bar
        from rewardkit.train.progress import PlainProgress

        plain = PlainProgress(total)
        return run_training(
            config,
            resume=resume,
            on_step=plain.step,
            status=plain.status,
            activity=plain.activity,
            stop=stop,
        )
    columns = (
        TextColumn("[bold]step"),
        MofNCompleteColumn(),
        BarColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, disable=quiet) as progress:
        bar = progress.add_task("starting", total=total)

        def on_step(step: int, metrics: dict[str, float]) -> None:
            progress.update(bar, completed=step + 1, description=_progress_line(metrics))

        def status(message: str) -> None:
            if message.startswith(("warning: ", "run folder: ")):  # kept on screen
                progress.console.print(message, style="yellow", markup=False, highlight=False)
            else:
                progress.update(bar, description=message)

        def activity(message: str) -> None:
            progress.update(bar, description=message)

        return run_training(
            config, resume=resume, on_step=on_step, status=status, activity=activity, stop=stop
        )


def _print_summary(summary: dict[str, Any], wall: float) -> None:
    from rewardkit.runs.glossary import window_words

    steps = summary["steps"]
    table = Table(title="run summary", show_header=False)
    trained = summary.get("wall_s")
    table.add_row("wall time", f"{wall:.1f} s (set-up, steps, final evaluation, report)")
    if isinstance(trained, int | float):
        table.add_row("  of which the steps", f"{trained:.1f} s (wall_s in summary.json)")
    if summary.get("seconds_per_step") is not None:
        table.add_row("seconds per step", f"{summary['seconds_per_step']:.3f}")
    windows = window_words(steps)
    for key, window in (
        ("reward/mean", windows["last"]),
        ("train/success", windows["last"]),
        ("reward/zero_std_frac@first50", windows["first"]),
    ):
        if summary.get(key) is not None:
            name = key.removesuffix("@first50")
            table.add_row(f"{name} ({window.split(' (')[0]})", f"{summary[key]:.3f}")
    for name, value in summary.get("schedule", {}).items():
        table.add_row(f"schedule {name}", f"{value:.4g}")
    for name, count in summary.get("events", {}).items():
        table.add_row(f"events {name}", str(count))
    for name, value in summary.get("final_eval", {}).items():
        table.add_row(f"final {name}", f"{value:.3f}")
    out = Console(soft_wrap=True)
    out.print(table)
    run = summary["run_dir"]
    out.print(f"run folder: {run}  (report: {run}/report.html)", markup=False, highlight=False)


def train(
    config: Path | None = typer.Argument(
        None,
        help="train config YAML, e.g. examples/configs/train_chain.yaml (omit it to run the embedded boxes demo)",
    ),
    resume: Path | None = typer.Option(
        None, "--resume", help="continue this run folder from its newest checkpoint"
    ),
    steps: int | None = typer.Option(None, help="override the number of steps"),
    seed: int | None = typer.Option(None, help="override the seed"),
    out_dir: Path | None = typer.Option(None, "--out-dir", help="parent folder of run folders"),
    device: str | None = typer.Option(None, help="auto | cpu | cuda | mps"),
    name: str | None = typer.Option(
        None, "--name", help="label of the run in compare and the report (default: its folder)"
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar"),
    set_: list[str] = typer.Option(
        [],
        "--set",
        help="override a CONFIG key, repeatable: --set model=smollm2 --set "
        "task=reasoning_gym:chain_sum --set tiny.layers=4 (values read as YAML)",
    ),
) -> None:
    """Train with GRPO on a built-in task; prints the run folder and a short summary.

    With no CONFIG: boxes, a tiny local model (warm-started once, cached) and the IoU ladder.
    Every key a CONFIG file may hold is listed below with its default.
    """
    from rewardkit.train.progress import Stopped, StopSignals

    # SIGINT and SIGTERM stop the run wherever it is (a background job inherits SIGINT ignored).
    stop = StopSignals().install()
    command = _command(config, steps, seed, out_dir, device, name, quiet, set_)
    try:
        _train(config, resume, steps, seed, out_dir, device, name, quiet, set_, stop, command)
    except Stopped as stopped:
        _stopped(stopped, command)
    finally:
        stop.restore()


def _train(
    config: Path | None,
    resume: Path | None,
    steps: int | None,
    seed: int | None,
    out_dir: Path | None,
    device: str | None,
    name: str | None,
    quiet: bool,
    set_: list[str],
    stop: Any,
    command: str,
) -> None:
    from rewardkit.train.config import load_train_config
    from rewardkit.train.progress import Stopped
    from rewardkit.train.setup import resume_steps, run_folder_path

    if config is not None and not config.exists() and str(config).lower() in _FLAG_VALUES:
        fail(
            f"no config file {str(config)!r}: flags such as -q/--quiet take no value; "
            f"write -q alone (and the config path, if any, on its own)"
        )
    started = time.perf_counter()
    run_dir: Path | None = None
    try:
        if resume is not None:
            given = [
                flag
                for flag, value in (
                    ("CONFIG", config),
                    ("--seed", seed),
                    ("--out-dir", out_dir),
                    ("--device", device),
                    ("--name", name),
                    ("--set", set_ or None),
                )
                if value is not None
            ]
            if given:
                fail(
                    f"--resume continues {resume} as it was configured; {', '.join(given)} "
                    "cannot change a run half-way (only --steps can, to extend it): drop "
                    + ("it" if len(given) == 1 else "them")
                )
            total = resume_steps(resume, steps)
            run_dir, cfg = resume, None
        else:
            overrides = parse_sets(set_)
            for key, value in (("steps", steps), ("seed", seed), ("device", device)):
                if value is not None:
                    overrides[key] = value
            if out_dir is not None:
                overrides["out_dir"] = str(out_dir)
            if name is not None:
                overrides["name"] = name
            cfg = load_train_config(as_train_config(config), overrides)
            check_output_dir(Path(cfg.out_dir), "out_dir")
            # Fix the folder now, so an interrupt can name it and a resume command can use it.
            run_dir = run_folder_path(cfg)
            cfg = cfg.model_copy(update={"run_name": run_dir.name})
            total = cfg.steps
        result = _run(cfg, resume, total, quiet, stop)
    except RewardKitError as exc:
        _drop_if_no_step(run_dir, resume)
        fail(str(exc))
    except KeyboardInterrupt as exc:
        _drop_if_no_step(run_dir, resume)
        stopped = exc if isinstance(exc, Stopped) else Stopped(stop.requested or 2)
        stopped.run_dir = run_dir if run_dir is not None and run_dir.is_dir() else None
        raise stopped from None
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            raise
        fail(
            f"no space left on {exc.filename or run_dir}; free some space or choose another --out-dir"
        )
    _print_summary(result.summary, time.perf_counter() - started)
    if stop.requested is not None:  # a signal as the run ended: it is complete, still a stop
        raise typer.Exit(128 + stop.requested)


def as_train_config(path: Path | None) -> Path | dict[str, Any] | None:
    """``path``, or when it holds a program config (a ``reward`` tree and its keys only), the
    train config that trains the default task with that program (said on stderr).

    A file mixing the two shapes is a ConfigError that names the keys to move under ``program:``.
    """
    from rewardkit.config import ProgramConfig, load_yaml

    if path is None or not path.is_file():
        return path
    data = load_yaml(path)
    if not isinstance(data, dict) or "reward" not in data:
        return path
    program_keys = set(ProgramConfig.model_fields)
    mine = [k for k in data if k in program_keys]
    others = [k for k in data if k not in program_keys]
    if others:
        raise ConfigError(
            [
                (
                    "reward",
                    f"{path} mixes a train config ({', '.join(others)}) with a program's keys at "
                    f"the top level ({', '.join(mine)}); indent those under 'program:' "
                    "(`rewardkit init` writes an example)",
                )
            ]
        )
    err.print(
        f"{path} is a program config: training the default task with it as its program "
        "(another task: --set task=NAME; a train config of your own: rewardkit init)",
        markup=False,
        highlight=False,
    )
    return {"program": data}


_FLAG_VALUES = ("true", "false", "yes", "no", "on", "off", "1", "0")


def parse_sets(pairs: list[str]) -> dict[str, Any]:
    """``["a.b=1", "task=x"]`` as ``{"a": {"b": 1}, "task": "x"}`` (each value read as YAML).

    >>> parse_sets(["tiny.layers=4", "model=smollm2", "tiny.hidden=96"])
    {'tiny': {'layers': 4, 'hidden': 96}, 'model': 'smollm2'}
    """
    import yaml

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--set {pair!r}: write KEY=VALUE, e.g. --set model=smollm2")
        try:
            value = yaml.safe_load(text) if text else ""
        except yaml.YAMLError as exc:
            fail(f"--set {pair!r}: the value is not valid YAML ({exc.__class__.__name__})")
        *parents, leaf = key.strip().split(".")
        node = out
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                fail(f"--set {pair!r}: {part} is set both as a value and as a mapping")
        node[leaf] = value
    return out


def train_options_epilog() -> str:
    """The CONFIG keys of ``rewardkit train --help``, generated from TrainConfig, each with its
    default written as YAML (``null``, ``[]``, ``true``), as it would be in the file."""
    from rewardkit.cli.defaults import yaml_options
    from rewardkit.train.config import TrainConfig

    lines = ["CONFIG keys (a YAML mapping; each shown with its default, as YAML):", ""]
    return escape("\n".join(lines + [f"  {line}" for line in yaml_options(TrainConfig)]))


def _drop_if_no_step(run_dir: Path | None, resume: Path | None) -> None:
    """A fresh run that stopped before logging a step leaves no folder (only a config in it)."""
    fresh = resume is None and run_dir is not None and run_dir.is_dir()
    if fresh and run_dir is not None and not (run_dir / "metrics.jsonl").exists():
        shutil.rmtree(run_dir, ignore_errors=True)


def _command(
    config: Path | None,
    steps: int | None,
    seed: int | None,
    out_dir: Path | None,
    device: str | None,
    name: str | None,
    quiet: bool,
    sets: list[str],
) -> str:
    """The command line as given (the options of a fresh run), for the hint that restarts it.

    >>> _command(Path("a b.yaml"), 3, None, None, None, None, True, ["model=smollm2"])
    "rewardkit train 'a b.yaml' --steps 3 --quiet --set model=smollm2"
    """
    words = ["rewardkit", "train"] + ([str(config)] if config is not None else [])
    for flag, value in (
        ("--steps", steps),
        ("--seed", seed),
        ("--out-dir", out_dir),
        ("--device", device),
        ("--name", name),
    ):
        if value is not None:
            words += [flag, str(value)]
    words += ["--quiet"] if quiet else []
    for pair in sets:
        words += ["--set", pair]
    return shlex.join(words)


def _stopped(stopped: Any, command: str) -> NoReturn:
    """SIGINT or SIGTERM: what was saved, and the exact command that continues (or restarts)
    the run; exit 130 (SIGINT) or 143 (SIGTERM)."""
    from rewardkit.train.checkpoint import list_checkpoints, read_state

    def say(line: str) -> None:
        err.print(line, markup=False, highlight=False)

    run_dir: Path | None = stopped.run_dir
    signame = signal.Signals(stopped.signum).name
    err.print()
    saved = list_checkpoints(run_dir / "checkpoints") if run_dir is not None else []
    if run_dir is None or not saved:
        say(f"stopped ({signame}) before the first step was done; nothing was saved")
        say(f"start again with: {command}")
        raise typer.Exit(stopped.exit_code)
    done = read_state(saved[-1]).next_step
    planned = int(json.loads((run_dir / "config.json").read_text()).get("steps", done))
    say(f"stopped ({signame}) after step {done} of {planned}. run folder: {run_dir}")
    report = run_dir / "report.html"
    say(
        f"saved: checkpoint {saved[-1].name}, summary.json"
        + (f", report {report}" if report.exists() else "")
    )
    if done >= planned:
        say(
            "all steps are done; the final evaluation was cut short. To train further: "
            f"rewardkit train --resume {shlex.quote(str(run_dir))} --steps {2 * planned}"
        )
    else:
        say(f"resume with: rewardkit train --resume {shlex.quote(str(run_dir))}")
    raise typer.Exit(stopped.exit_code)
