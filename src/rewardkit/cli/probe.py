"""``rewardkit probe``: does a config pay known exploits as much as a correct answer?"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from rewardkit.cli.programs import load_program
from rewardkit.errors import ConfigError, InputError, RewardKitError
from rewardkit.probe import MUTATIONS, ProbeReport, get_mutations
from rewardkit.probe import probe as run_probe
from rewardkit.probe.master_keys import register_master_keys

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def probe(
    config: Path = typer.Argument(..., help="program config (YAML); a train config's program too"),
    input: Path = typer.Option(
        ...,
        "--input",
        "-i",
        help="JSONL samples as for `score`, each with its reference and a CORRECT completion",
    ),
    mutations: str | None = typer.Option(
        None,
        "--mutations",
        help="comma-separated mutations to run (default: all): " + ", ".join(MUTATIONS),
    ),
    allow: str | None = typer.Option(
        None,
        "--allow",
        help="comma-separated mutations the config knowingly pays: still reported, no exit 1",
    ),
    module: list[str] = typer.Option(
        [],
        "--module",
        help="import this module first (repeatable): its @rewardkit.probe.mutation functions "
        "are registered and run too; looked up from the current directory and sys.path",
    ),
    json_path: Path | None = typer.Option(
        None, "--json", help="also write the results as JSON to this path"
    ),
    show_all: bool = typer.Option(
        False,
        "--all",
        help="one row per mutation (default: the master keys that pass as one row, and the "
        "mutations that do not apply to these samples left out)",
    ),
    master_keys: bool = typer.Option(
        True,
        "--master-keys/--no-master-keys",
        help="also run the judge master keys (':', '.', 'Thought process:', openers in 12 "
        "languages), as the whole completion and in the answer's place",
    ),
) -> None:
    """Probe a reward config with known exploits of correct answers (exit 1 if one pays).

    For each sample, the correct completion is mutated into known reward hacks: an empty
    completion, only its format tags, punctuation, a reasoning opener alone, the answer
    repeated, the right answer followed by a wrong one, the answer only inside <think>, the
    prompt copied as the answer, long padding before the answer, and a wrong answer in perfect
    format. The correct completion and its mutations are scored as one GRPO group by the config.

    The table shows per mutation: its mean reward against the correct completion's, the share
    of samples where it earns at least as much (pays), the share where its reward is None while
    the correct one is judged (escapes: no negative advantage), its mean advantage, and the
    nodes that pay it as much as the correct answer.

    A mutation's answer is found in the correct completion's <answer> tag, else its \\boxed{},
    else where the reference is written, else its last number; a sample's meta "wrong_answer"
    sets the wrong answer used (default: the answer +1, another letter, another word).

    Variables driven by schedules take their initial values (step 0).

    Exit codes: 0 no mutation pays or escapes; 1 one does on some sample (or scoring raised);
    2 bad config, input or option.
    """
    if master_keys:
        register_master_keys()
    chosen, allowed = _names(mutations, module), _split(allow)
    try:
        program = load_program(config)
        samples = _read(input)
        report = run_probe(program, samples, chosen)
    except InputError as exc:
        _fail(str(exc), 2)
    except ConfigError as exc:
        _fail(str(exc), 2)
    except RewardKitError as exc:
        _fail(f"{exc}\nthe probe cannot judge this config until scoring stops raising", 1)
    if not len(report.correct):
        _fail(
            f"none of the {report.samples} correct completions got a reward (all None): the "
            "config cannot judge them; check the references (`rewardkit check CONFIG --data`)",
            2,
        )
    _print_table(report, allowed, show_all)
    if report.unjudged:
        err.print(
            f"[yellow]{len(report.unjudged)} sample(s) left out: their correct completion got "
            f"no reward: {', '.join(report.unjudged[:10])}[/yellow]"
        )
    if report.unpaid:
        err.print(
            f"[yellow]{len(report.unpaid)} correct completion(s) earn 0 or less: are they "
            "correct, and in the format the config rewards?[/yellow]"
        )
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        data = {"config": str(config), "input": str(input), **report.as_dict(allowed)}
        json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    failing = report.failing(allowed)
    if failing:
        for r in failing:
            where = r.pays or r.escapes
            how = "earns at least the correct reward" if r.pays else "gets no reward (None)"
            paid = f", paid by {', '.join(r.paid_by)}" if r.pays and r.paid_by else ""
            out.print(
                f"[red]FAIL[/red] {r.name}: {how} on {len(where)}/{r.applied} samples "
                f"(e.g. {where[0]}){paid}"
            )
        raise typer.Exit(1)
    out.print(
        f"[green]ok[/green]: no mutation earns as much as a correct answer "
        f"({len(report.correct)} samples)"
    )


def _names(mutations: str | None, modules: list[str]) -> list[str] | None:
    if modules and "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            _fail(
                f"--module {name!r} cannot be imported ({exc}); it is looked up from the "
                "current directory and sys.path",
                2,
            )
    names = _split(mutations) or None
    try:
        get_mutations(names)
    except ConfigError as exc:
        _fail(str(exc), 2)
    return names


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _read(path: Path) -> list[Any]:
    from rewardkit.cli.rollouts import read_samples

    samples, bad = read_samples(path, strict=False)
    if bad:
        lines = "\n  ".join(f"{path}:{lineno}: {problem}" for lineno, problem in bad)
        raise InputError(f"{len(bad)} bad input line(s); the probe needs them all:\n  {lines}")
    return samples


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", markup=True, highlight=False)
    raise typer.Exit(code)


def _print_table(report: ProbeReport, allowed: list[str], show_all: bool) -> None:
    """The table, as wide as its rows need in a log (a terminal folds the last column)."""
    table, notes = _table(report, allowed, show_all)
    longest = max((len(r.name) for r in report.results), default=10)
    console = out if out.is_terminal else Console(soft_wrap=True, width=max(100, longest + 70))
    console.print(table)
    for note in notes:
        console.print(note, markup=False, highlight=False)


MASTER_KEY = "master_key_"


def _table(report: ProbeReport, allowed: list[str], show_all: bool) -> tuple[Table, list[str]]:
    probed = len(report.correct)
    table = Table(
        title=f"probe: {probed} correct completions, each against its mutations",
        box=box.SIMPLE_HEAD,
        caption=">=: share of samples where the mutation earns at least the correct reward; "
        "None: share where it gets no reward; adv: mean GRPO advantage",
    )
    table.add_column("mutation", no_wrap=True)
    for col in ("n", "reward", ">=", "None", "adv"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("paid by", overflow="fold", min_width=12)
    rows = report.as_dict(allowed)
    correct = rows["correct"]
    table.add_row(
        "(correct)",
        str(probed),
        _f(correct["mean_reward"]),
        "-",
        "-",
        _f(correct["mean_advantage"]),
    )
    folded, unused = [], []
    for r, row in zip(report.results, rows["mutations"], strict=True):
        if not show_all and not r.failed:
            if not r.applied:
                unused.append(r.name)
                continue
            if r.name.startswith(MASTER_KEY):
                folded.append(r)
                continue
        verdict = r.verdict + (" (allowed)" if r.failed and r.name in allowed else "")
        colour = "red" if r.failed and r.name not in allowed else "yellow" if r.failed else "green"
        table.add_row(
            r.name,
            str(r.applied),
            _f(row["mean_reward"]),
            _pct(row["pays_share"]),
            _pct(row["none_share"]),
            _f(row["mean_advantage"]),
            f"[{colour}]{verdict}[/{colour}]",
            _paid_by(r.paid_by, r.applied),
        )
    if folded:
        rewards = [x for r in folded for x in r.rewards]
        advantages = [x for r in folded for x in r.advantages]
        table.add_row(
            f"{MASTER_KEY}* ({len(folded)} more)",
            str(sum(r.applied for r in folded)),
            _f(sum(rewards) / len(rewards) if rewards else None),
            "0%",
            "0%",
            _f(sum(advantages) / len(advantages) if advantages else None),
            "[green]ok[/green]",
            "-",
        )
    notes = []
    if unused:
        notes.append(
            f"{len(unused)} mutation(s) do not apply to these samples (e.g. {', '.join(unused[:3])})"
        )
    if folded or unused:
        notes.append("--all shows one row per mutation")
    return table, notes


def _paid_by(paid_by: dict[str, int], applied: int) -> str:
    """``format, hit 4/6``: node paths without the root's name; a count when not on every sample."""
    parts = [
        path.split("/", 1)[-1] + ("" if k == applied else f" {k}/{applied}")
        for path, k in paid_by.items()
    ]
    return ", ".join(parts) or "-"


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"
