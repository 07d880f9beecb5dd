"""The README's Python example: build a program with the compose builders, score, advantages.

.venv/bin/python examples/python_api.py
"""

from __future__ import annotations

from rewardkit import RewardProgram, Sample
from rewardkit.compose import leaf, tiers


def main() -> None:
    program = RewardProgram.from_dict(
        {
            "reward": tiers(
                leaf("tags", mode="strict", name="format"),
                leaf("numeric", extract="answer_tag", name="correct"),
            )
        }
    )
    completions = [
        "<think>12*7 = 84</think><answer>84</answer>",
        "<think>12*7 = 74</think><answer>74</answer>",
        "84",
    ]
    batch = [
        Sample(id=str(i), group="q1", prompt="12*7?", completion=c, reference="84")
        for i, c in enumerate(completions)
    ]
    scored = program.score(batch)
    adv = program.advantages(scored)
    for sample, reward, a in zip(batch, scored.reward_list(), adv.per_sample, strict=True):
        print(f"{sample.completion!r:50} reward={reward:.2f} advantage={a:+.3f}")
    print(f"zero-variance groups: {scored.metrics['reward/zero_std_frac']:.2f}")


if __name__ == "__main__":
    main()
