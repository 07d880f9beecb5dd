"""What a run shows while it runs (``rewardkit.train.watch``): the forward hook's stop check and
generation count, and a long run's estimate after its first step."""

from __future__ import annotations

import signal

import pytest

from rewardkit.train.progress import Stopped, StopSignals
from rewardkit.train.watch import Forwards


def test_the_forward_hook_counts_generations_and_tokens_and_raises_a_requested_stop() -> None:
    stop = StopSignals()
    hook = Forwards(stop)
    seen: list[tuple[int, int]] = []
    hook.watch = lambda generation, tokens: seen.append((generation, tokens))
    cache = object()
    for kwargs in ({"cache": None}, {"cache": cache}, {"cache": cache}, {"cache": None}):
        hook(None, (), kwargs)  # a prefill (no cache) begins a generation
    assert seen == [(1, 1), (1, 2), (1, 3), (2, 1)]
    stop.requested = signal.SIGTERM
    with pytest.raises(Stopped):
        hook(None, (), {"cache": cache})
    with stop.deferred(check=False):
        hook(None, (), {"cache": cache})  # inside an update or a checkpoint: no raise
    assert seen[-1] == (2, 2)


def test_after_the_first_step_a_long_cpu_run_says_how_long_it_will_take() -> None:
    torch = pytest.importorskip("torch")
    from types import SimpleNamespace

    from rewardkit.train import TrainConfig
    from rewardkit.train.watch import say_how_long

    cfg = TrainConfig(steps=400, eval_every=25, eval_size=256, model="smollm2")
    s = SimpleNamespace(cfg=cfg, model=torch.nn.Linear(2, 2))
    said: list[str] = []
    metrics = {"time/step": 100.0, "time/eval": 600.0}
    say_how_long(s, 0, metrics, said.append)  # type: ignore[arg-type]
    (message,) = said
    assert message.startswith("warning: about 14 h to go at this pace (399 steps, 16 evaluations")
    assert "this is a CPU demo of the trainer, use a GPU for model=smollm2" in message
    said.clear()
    say_how_long(s, 0, {"time/step": 0.5, "time/eval": 2.0}, said.append)  # type: ignore[arg-type]
    assert said == []  # a short run says nothing
