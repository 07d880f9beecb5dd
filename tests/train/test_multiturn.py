"""Multi-turn rollouts: tool results are written by the environment, masked from advantages and
the loss, and the trajectory is one Sample; a multi-turn run killed and resumed matches one that
never stopped.

A scripted model (``Scripted``) writes what a function of the text so far says, so the
environment loop is checked on known trajectories without training anything.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from rewardkit.program import RewardProgram  # noqa: E402
from rewardkit.runs.runlog import read_jsonl  # noqa: E402
from rewardkit.tasks.base import problem  # noqa: E402
from rewardkit.tasks.boxes import Boxes  # noqa: E402
from rewardkit.tasks.lookup import Lookup, call_text  # noqa: E402
from rewardkit.tasks.tokenizer import char_tokenizer  # noqa: E402
from rewardkit.train import TrainConfig  # noqa: E402
from rewardkit.train.loop import train  # noqa: E402
from rewardkit.train.loss import LossSettings, policy_loss  # noqa: E402
from rewardkit.train.multiturn import sample_rollouts, sample_trajectories  # noqa: E402
from rewardkit.train.rollout import Rollouts, sample_completions  # noqa: E402
from rewardkit.train.samples import to_samples  # noqa: E402
from rewardkit.trajectory import render  # noqa: E402
from rewardkit.types import env_token_mask  # noqa: E402

HERE = Path(__file__).parent
SRC = HERE.parents[1] / "src"
TOK = char_tokenizer()


class _History:
    """The 'KV cache' of the scripted model: every row's tokens so far."""

    def __init__(self, rows: list[list[int]]):
        self.rows = rows

    def batch_repeat_interleave(self, n: int) -> None:
        self.rows = [list(r) for r in self.rows for _ in range(n)]


class Scripted(torch.nn.Module):  # type: ignore[misc]
    """A causal LM stand-in whose next token is ``script(text so far)`` ("" for eos), for sure."""

    def __init__(self, script: Callable[[str], str]):
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))
        self.script = script

    def forward(self, input_ids: Any, cache: _History | None = None, **_: Any) -> Any:
        history = cache or _History([[] for _ in range(input_ids.shape[0])])
        logits = torch.full((input_ids.shape[0], 1, len(TOK)), -1e4)
        for i, ids in enumerate(input_ids.tolist()):
            history.rows[i].extend(ids)
            nxt = self.script(TOK.decode(history.rows[i], skip_special_tokens=True))
            logits[i, 0, TOK.eos_token_id if nxt == "" else TOK.convert_tokens_to_ids(nxt)] = 1e4
        return SimpleNamespace(logits=logits, cache=history)


def _follow(answers: dict[str, str]) -> Callable[[str], str]:
    """The right trajectory of each prompt, one character at a time."""

    def script(text: str) -> str:
        prompt = next(p for p in answers if text.startswith(p))
        done = text[len(prompt) :]
        answer = answers[prompt]
        return answer[len(done)] if len(done) < len(answer) else ""

    return script


def _rollouts(
    script: Callable[[str], str], problems: list[Any], max_turns: int = 4, tokens: int = 400
) -> Rollouts:
    generator = torch.Generator().manual_seed(0)
    return sample_trajectories(
        Scripted(script), TOK, problems, Lookup().environment, 2, tokens, max_turns, 1.0, generator
    )


def test_the_right_policy_writes_whole_trajectories_with_the_env_between_turns() -> None:
    problems = [problem(Lookup(hops=2), 0, "train", 0), problem(Lookup(hops=1), 0, "train", 1)]
    r = _rollouts(_follow({p.prompt: p.answer for p in problems}), problems)
    assert r.texts == [problems[0].answer] * 2 + [problems[1].answer] * 2
    assert r.truncated == [False] * 4
    assert r.trajectories is not None and r.env_mask is not None
    two, one = r.trajectories[0], r.trajectories[2]
    assert two.env_rewards == (1.0, 1.0, None) and one.env_rewards == (1.0, None)
    # Messages render to the completion; the assistant turns are the steps.
    text, turns, env = render(two.messages)
    assert text == r.texts[0] and turns == two.steps
    assert [text[a:b] for a, b in two.steps][-1] == f"<answer>{problems[0].reference}</answer>"
    # The environment's spans are its tool messages with the newlines that join them.
    assert [(a - 1, b + 1) for a, b in env] == list(two.env_spans)
    assert two.env_spans == problems[0].answer_env_spans
    assert two.tools[0]["function"]["name"] == "lookup"
    for row in range(4):
        n = len(r.token_ids[row])  # eos included, pads after it are not
        assert int(r.completion_mask[row].sum()) == n
        written = r.env_mask[row, :n].numpy().astype(bool)
        # Every forced token is in an env span, and nothing else is.
        assert (
            written.tolist()
            == env_token_mask(r.offsets[row], r.trajectories[row].env_spans).tolist()
        )
        assert "".join(
            TOK.decode([t]) for t, w in zip(r.token_ids[row], written, strict=True) if w
        ) == "".join(r.texts[row][a:b] for a, b in r.trajectories[row].env_spans)
    assert int((r.policy_mask() * r.env_mask).sum()) == 0


def test_the_sample_is_the_trajectory_and_env_tokens_get_no_advantage() -> None:
    problems = [problem(Lookup(hops=2), 0, "train", 0)]
    r = _rollouts(_follow({problems[0].prompt: problems[0].answer}), problems)
    samples = to_samples(problems, r, 2, step=0, task="lookup")
    s = samples[0]
    assert s.completion == problems[0].answer and s.messages is not None
    assert s.meta["env_rewards"] == [1.0, 1.0, None] and s.steps is not None and len(s.steps) == 3
    program = RewardProgram.from_dict(Lookup().reward_config())
    scored = program.score(samples)
    # exact answer 1 + 0.5 * the turn rewards' sum 2
    assert scored.rewards.tolist() == [2.0, 2.0]
    assert scored.steps["reward/tool"][0] == (1.0, 1.0, pytest.approx(np.nan, nan_ok=True))
    adv = program.advantages(scored)
    assert adv.per_token and adv.per_token[0] is not None
    env = env_token_mask(s.token_offsets or (), s.env_spans)
    assert env.any() and np.all(adv.per_token[0][env] == 0.0)


def test_a_tool_call_in_the_last_allowed_turn_ends_the_rollout_unstepped() -> None:
    p = problem(Lookup(hops=2), 0, "train", 0)
    first = p.env["chain"][0]

    def again(text: str) -> str:  # looks the first key up, turn after turn
        turn = text.rsplit("\n", 1)[-1]
        call = call_text(first)
        return call[len(turn)] if len(turn) < len(call) else ""

    r = _rollouts(again, [p], max_turns=3)
    t = r.trajectories[0] if r.trajectories else None
    assert t is not None and r.truncated == [True, True]
    assert [m["role"] for m in t.messages] == ["user", *["assistant", "tool"] * 2, "assistant"]
    # the right first lookup; the repeat is not the key the chain needs; the third is not run
    assert t.env_rewards == (1.0, 0.0, None)
    assert r.texts[0].endswith(call_text(first)) and len(t.env_spans) == 2


def test_running_out_of_tokens_mid_result_keeps_the_spans_inside_the_completion() -> None:
    p = problem(Lookup(hops=1), 0, "train", 3)
    r = _rollouts(_follow({p.prompt: p.answer}), [p], tokens=len(call_text("ab")) + 5)
    t = r.trajectories[0] if r.trajectories else None
    assert t is not None and r.truncated == [True, True]
    assert t.env_spans == ((len(call_text("ab")), len(r.texts[0])),)
    samples = to_samples([p], r, 2, step=0, task="lookup")  # spans validate against the text
    assert samples[0].completion == r.texts[0]


def test_single_turn_tasks_sample_exactly_as_before() -> None:
    torch.manual_seed(0)
    model = Scripted(lambda text: "ab"[len(text) % 2] if len(text) < 20 else "")
    problems = [problem(Boxes(), 0, "train", i) for i in range(2)]
    a = sample_rollouts(
        model, TOK, Boxes(), problems, 2, 8, 4, 1.0, torch.Generator().manual_seed(3)
    )
    b = sample_completions(
        model, TOK, [p.prompt for p in problems], 2, 8, 1.0, torch.Generator().manual_seed(3)
    )
    assert a.texts == b.texts and torch.equal(a.completion_ids, b.completion_ids)
    assert a.env_mask is None and a.trajectories is None
    assert torch.equal(a.policy_mask(), a.completion_mask)


def test_a_real_model_sees_the_tool_results_as_one_forward_pass_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The KV cache carries the environment's tokens: after a tool result, every next-token
    # distribution of a real (tiny, random) model equals that of one forward pass over the prompt
    # and the whole completion (same positions, same context), so what the policy reads at turn
    # two is the result, and what the loss scores is what was sampled.
    import rewardkit.train.multiturn as multiturn
    from rewardkit.tasks.models import TinyModelSpec, build_tiny_model, position_ids

    model, tok = build_tiny_model(TinyModelSpec(layers=2, hidden=32, heads=2, mlp=64), seed=1)
    model.eval()
    problems = [problem(Lookup(hops=2), 0, "train", 0), problem(Lookup(hops=1), 0, "train", 1)]
    group = 2
    # Each row writes its problem's right trajectory; where the environment writes, the draws
    # say "z", so only a rollout that feeds the env's tokens instead reads the results.
    script = []
    for p in problems:
        chars = list(p.answer)
        for a, b in p.answer_env_spans:
            chars[a:b] = "z" * (b - a)
        script.append(tok("".join(chars), add_special_tokens=False)["input_ids"])
    seen: list[Any] = []

    def scripted_draw(logits: Any, *_: Any, **__: Any) -> Any:
        t = len(seen)
        seen.append(logits.clone())
        rows = [script[i // group] for i in range(logits.shape[0])]
        return torch.tensor([r[t] if t < len(r) else tok.eos_token_id for r in rows])

    monkeypatch.setattr(multiturn, "draw", scripted_draw)
    r = sample_trajectories(
        model, tok, problems, Lookup().environment, group, 300, 4, 1.0, torch.Generator()
    )
    assert r.texts == [p.answer for p in problems for _ in range(group)]
    assert r.env_mask is not None and int(r.env_mask.sum()) > 0
    for row, text in enumerate(r.texts):  # the tokens fed are the text, tool results included
        n = len(r.token_ids[row])
        assert tok.decode(r.completion_ids[row, :n].tolist(), skip_special_tokens=True) == text
    ids = torch.cat([r.prompt_ids, r.completion_ids], dim=1)
    mask = torch.cat([r.prompt_mask, r.completion_mask], dim=1)
    with torch.no_grad():
        full = model(input_ids=ids, attention_mask=mask, position_ids=position_ids(mask)).logits
    start = r.prompt_ids.shape[1] - 1
    for t, logits in enumerate(seen):
        live = r.completion_mask[:, t].bool()  # rows whose token t is not padding
        assert torch.allclose(logits[live], full[live, start + t], atol=1e-4), f"token {t}"


@pytest.mark.parametrize("how", ["grpo", "dr_grpo", "dapo"])
def test_changing_env_token_log_probs_changes_nothing_in_the_loss(how: str) -> None:
    # Row 0: 2 policy tokens, 2 env tokens, 1 policy token; row 1: 3 policy tokens.
    completion_mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    env_mask = torch.tensor([[0, 0, 1, 1, 0], [0, 0, 0, 0, 0]])
    r = Rollouts(None, None, None, completion_mask, [], [], [], [], env_mask=env_mask)
    mask = r.policy_mask()
    assert mask.tolist() == [[1, 1, 0, 0, 1], [1, 1, 1, 0, 0]]
    settings = LossSettings(kl_beta=0.1, aggregation=how, max_new_tokens=5)  # type: ignore[arg-type]
    base = torch.log(torch.full((2, 5), 0.5))
    adv = torch.tensor([[1.0, 1.0, 1.0, 1.0, 1.0], [-1.0, -1.0, -1.0, 0.0, 0.0]])
    ref = base - 0.3

    def loss_and_grad(change: float) -> tuple[Any, Any, dict[str, float]]:
        shift = torch.zeros(2, 5)
        shift[0, 2:4] = change  # the env tokens' log-probs only
        logp = (base + 0.1 + shift).requires_grad_(True)
        loss, stats = policy_loss(logp, base, adv, mask, settings, ref)
        loss.backward()
        return loss.detach(), logp.grad, stats

    loss0, grad0, stats0 = loss_and_grad(0.0)
    loss1, grad1, stats1 = loss_and_grad(-3.0)
    assert torch.equal(loss0, loss1) and torch.equal(grad0, grad1) and stats0 == stats1
    assert torch.all(grad0[0, 2:4] == 0.0) and torch.all(grad0[0, [0, 1, 4]] != 0.0)
    # The token-count normalisers count policy tokens: dapo divides by 6, not 8.
    if how == "dapo":
        per_token = -(torch.exp(torch.tensor(0.1)) * adv) + 0.1 * (
            torch.exp(torch.tensor(-0.4)) + 0.4 - 1.0
        )
        assert loss0.item() == pytest.approx(float((per_token * mask).sum() / 6), rel=1e-5)


def _tiny_lookup(tiny: Callable[..., dict[str, Any]], **changes: Any) -> dict[str, Any]:
    # A warm start long enough that the tiny model writes tool calls: the env loop is exercised.
    options = tiny(
        tiny={"layers": 2, "hidden": 32, "heads": 2, "mlp": 64},
        task="lookup",
        task_options={"hops": 1},
        max_new_tokens=120,
        max_turns=2,
        warm_start={
            "steps": 150,
            "batch": 16,
            "lr": 1e-2,
            "cache_dir": tiny()["warm_start"]["cache_dir"],
        },
    )
    options.update(changes)
    return options


@pytest.mark.slow
@pytest.mark.process
def test_a_multi_turn_run_killed_and_resumed_matches_an_uninterrupted_one(
    tiny: Callable[..., dict[str, Any]],
) -> None:
    options = _tiny_lookup(tiny, steps=5, checkpoint_every=2, eval_every=2, eval_size=4)
    whole = train(TrainConfig(**{**options, "run_name": "whole"})).run_dir
    killed = {**options, "run_name": "killed"}
    env = {**os.environ, "PYTHONPATH": str(SRC), "KILL_AT": "2"}
    proc = subprocess.run(
        [sys.executable, str(HERE / "resume_worker.py"), json.dumps(killed)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    run = Path(options["out_dir"]) / "killed"
    assert [r["step"] for r in read_jsonl(run / "metrics.jsonl")] == [0, 1, 2]
    resumed = train(resume=run)

    def comparable(folder: Path) -> list[dict[str, Any]]:
        rows = read_jsonl(folder / "metrics.jsonl")
        return [{k: v for k, v in r.items() if not k.startswith("time/")} for r in rows]

    rows, whole_rows = comparable(run), comparable(whole)
    assert [r["step"] for r in rows] == list(range(5))
    assert rows == whole_rows
    assert read_jsonl(run / "events.jsonl") == read_jsonl(whole / "events.jsonl")
    assert (
        resumed.summary["final_eval"]
        == json.loads((whole / "summary.json").read_text())["final_eval"]
    )
    # The environment was used: tool calls were made and their turns rewarded.
    assert any(r["train/tool_calls"] > 0 for r in rows)
    assert any(r.get("reward/tool/mean") is not None for r in rows)  # the env was stepped
