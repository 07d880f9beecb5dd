"""What every metric of a run folder means, in one sentence each (shown on ``report.html``).

A metric name is matched by its last part (``reward/hit/zero_std_frac`` is a ``zero_std_frac``
of the node ``reward/hit``) or by its whole name; ``define`` never returns an empty string.

>>> define("reward/hit/zero_std_frac")
'node reward/hit: fraction of GRPO groups whose rollouts all got the same value (zero advantage, no learning signal from this node)'
>>> define("eval/greedy/success")
'held-out problems answered correctly by the strict criterion of the task (e.g. IoU >= 0.8 for boxes), most likely token at every step'
"""

from __future__ import annotations

NODE_STATS: dict[str, str] = {
    "mean": "mean value over the step's rollouts where the node applies",
    "std": "standard deviation of the value over the step's rollouts",
    "min": "smallest value among the step's rollouts",
    "max": "largest value among the step's rollouts",
    "zero_std_frac": "fraction of GRPO groups whose rollouts all got the same value "
    "(zero advantage, no learning signal from this node)",
    "sparsity": "fraction of rollouts (where the node applies) whose value is exactly 0",
    "none_frac": "fraction of rollouts where the node did not apply (None)",
    "errors": "component calls that raised during the step (handled by on_error)",
    "unjudgeable": "references the component could not read (handled by on_unjudgeable)",
    "verifier_failed": "of the errors, verifier failures (errors.VerifierFailed): the sample gets "
    "no value here, so it is left out of the group baseline",
}

EVAL_MODES = {
    "greedy": "most likely token at every step",
    "sampled": "sampled at the training temperature",
}

EVAL_MEASURES = {
    "success": "held-out problems answered correctly by the strict criterion of the task "
    "(e.g. IoU >= 0.8 for boxes)",
    "iou": "mean IoU of the answered box with the reference box on held-out problems",
    "parses": "fraction of held-out answers that could be read at all",
    "steps_right": "fraction of written steps that are true equations at their place (chain)",
    "tool_calls": "mean number of tool calls per answer (lookup)",
    "score": "mean of the dataset's own score_answer, 0 to 1 (reasoning_gym)",
    "f1": "mean token F1 of the answer against the gold answers (search)",
    "searches": "mean number of search calls per answer (search)",
    "node_f1": "mean F1 of the answer graph's nodes against the reference's (workflow)",
}

EXACT: dict[str, str] = {
    "reward/zero_std_frac@first50": "zero_std_frac of the root reward averaged over steps "
    "0-49, the window where a sparse reward stalls GRPO",
    "advantage/abs_mean": "mean |advantage| over the step's rollouts (size of the learning signal)",
    "advantage/zero_frac": "fraction of rollouts whose advantage is exactly 0 (they teach nothing)",
    "advantage/std": "standard deviation of the advantages over the step's rollouts",
    "step": "the optimizer step the line was logged at (0 is the first)",
    "train/loss": "clipped surrogate policy loss of the update (plus the KL term when kl_beta > 0)",
    "train/kl": "k3 estimate of the KL divergence from the frozen starting model, per token",
    "train/entropy_proxy": "mean negative log-probability of the sampled tokens "
    "(an entropy estimate: falls as the policy grows sure of itself)",
    "train/lr": "learning rate of the update (after warm-up)",
    "train/grad_norm": "gradient norm before clipping to max_grad_norm",
    "train/clip_frac": "fraction of tokens whose probability ratio was clipped by PPO",
    "train/completion_tokens": "mean completion length in tokens (eos included)",
    "train/truncated_frac": "fraction of completions cut at max_new_tokens without an eos",
    "train/success": "fraction of the step's rollouts that meet the task's strict criterion",
    "train/iou": "mean IoU of the step's rollouts with their reference boxes",
    "train/parses": "fraction of the step's rollouts that could be read",
    "errors/total": "component failures recorded in the step",
    "verifier_failed/total": "verdicts that were not verdicts (a judge that paid a decoy too, a "
    "quoted answer not in the response, an invalid group verdict): never paid, never 0",
    "unjudgeable/total": "unreadable-reference records in the step (one per component and sample)",
    "unjudgeable/samples": "rollouts with at least one unreadable reference",
    "unjudgeable/skipped": "rollouts skipped (no reward) because a reference was unreadable",
    "data/position": "prompts drawn from the training stream so far",
    "data/refill_rounds": "extra rollout rounds to refill groups a balanced_filter dropped",
    "data/kept_groups": "groups kept for the update after filtering",
    "steps": "optimizer steps the run logged (one line of metrics.jsonl each)",
    "wall_s": "wall-clock seconds of the training steps, evaluations during training included "
    "(model set-up, warm start, the final evaluation and the report are not; resumed runs: "
    "summed over the sessions)",
    "seconds_per_step": "mean seconds per optimizer step (rollout, scoring and update)",
    "status": "finished, or where the run stopped",
    "run_dir": "the run folder: config.json, metrics.jsonl, events.jsonl, checkpoints, plots",
    "last_eval_step": "the step of the last evaluation an interrupted run logged",
}

PREFIXES: dict[str, str] = {
    "schedule/": "value of the scheduled variable used to score this step",
    "next/": "value of the scheduled variable after this step was observed (used next)",
    "time/": "seconds spent in this phase of the step",
    "steps/": "process (per-step) reward statistics of the step",
    "curriculum/": "state of the data curriculum after this step",
    "events.": "count of schedule moves, curriculum moves or scoring errors, by source:kind",
    "schedule.": "value of the scheduled variable at the end of the run",
}


SUMMARY: dict[str, str] = {
    "reward/mean": "mean root reward over {last}",
    "train/success": "fraction of rollouts meeting the strict criterion, over {last}",
    "reward/zero_std_frac@first50": "zero_std_frac of the root reward averaged over {first}, "
    "the window where a sparse reward stalls GRPO",
}


def window_words(steps: int | None, tail: int = 10, head: int = 50) -> dict[str, str]:
    """How a run's summary windows read for a run of ``steps`` steps: ``last`` and ``first``.

    >>> window_words(5)
    {'last': 'all 5 steps (the run is shorter than 10)', 'first': 'all 5 steps (the run is shorter than 50)'}
    >>> window_words(500)["first"]
    'steps 0-49'
    """
    if steps is None:
        return {"last": f"the last {tail} steps", "first": f"steps 0-{head - 1}"}
    last = (
        f"the last {tail} steps"
        if steps > tail
        else f"all {steps} steps (the run is shorter than {tail})"
    )
    first = (
        f"steps 0-{head - 1}"
        if steps > head
        else f"all {steps} steps (the run is shorter than {head})"
    )
    return {"last": last, "first": first}


def define(key: str, summary: bool = False, steps: int | None = None) -> str:
    """One sentence saying what metric ``key`` means (``summary``: as a run summary states it,
    for a run of ``steps`` steps)."""
    if summary and key in SUMMARY:
        return SUMMARY[key].format(**window_words(steps))
    for prefix in ("final_eval.", "last_eval."):
        if key.startswith(prefix):
            return define(key[len(prefix) :]) + " (" + prefix.split("_")[0] + " evaluation)"
    if key in EXACT:
        return EXACT[key]
    parts = key.split("/")
    if parts[0] == "train" and len(parts) == 2 and parts[1] in EVAL_MEASURES:
        # train/success, train/iou, train/parses are in EXACT; the others are task measures
        return f"{EVAL_MEASURES[parts[1]]}, over the step's rollouts"
    if parts[0] == "eval" and len(parts) == 3:
        measure = EVAL_MEASURES.get(parts[2], f"mean of the task's judge measure {parts[2]!r}")
        return f"{measure}, {EVAL_MODES.get(parts[1], parts[1])}"
    if parts[0] == "reward" and parts[-1] in NODE_STATS:
        node = "/".join(parts[:-1])
        what = "root reward" if node == "reward" else f"node {node}"
        return f"{what}: {NODE_STATS[parts[-1]]}"
    for prefix, meaning in PREFIXES.items():
        if key.startswith(prefix):
            return f"{meaning} ({key[len(prefix) :]})"
    if parts[0] == "train" and len(parts) == 2:
        return f"mean of the task's judge measure {parts[1]!r} over the step's rollouts"
    return f"{key}: a value a component or a sink logged (not one rewardkit's trainer defines)"
