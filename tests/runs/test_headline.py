"""The report's headline: greedy and sampled success with intervals and a verdict, schedule moves."""

from __future__ import annotations

from rewardkit.runs.headline import headline


def test_headline_when_the_change_is_noise() -> None:
    rows = [
        {"step": 0, "eval/greedy/success": 30 / 128},
        {"step": 9, "eval/greedy/success": 20 / 128},
    ]
    text = headline(rows, {}, 128)
    # pooled 50/256; z = -0.078125 / sqrt(0.1953 * 0.8047 * 2/128) = -1.58
    assert "within the noise" in text and "z = -1.58, p = 0.11" in text
    assert "No held-out evaluation" in headline([{"step": 0}], {}, 128)


def test_sampled_success_and_schedule_moves_are_told() -> None:
    rows = [
        {"step": 0, "eval/greedy/success": 0.25, "eval/sampled/success": 16 / 256},
        {"step": 200, "eval/greedy/success": 0.27, "eval/sampled/success": 40 / 256},
    ]
    summary = {
        "steps": 300,
        "final_eval": {"eval/greedy/success": 0.26, "eval/sampled/success": 48 / 256},
    }
    events = [
        {"step": 115, "source": "iou_threshold", "kind": "raise", "old": 0.3, "new": 0.45},
        {"step": 2, "source": "monitor", "kind": "alert"},
        {"step": 240, "source": "iou_threshold", "kind": "raise", "old": 0.45, "new": 0.55},
    ]
    text = headline(rows, summary, 256, events)
    greedy, sampled = text.split("Sampled success")
    assert "from 25.0%" in greedy and "to 26.0%" in greedy and "within the noise" in greedy
    # 16/256 -> 48/256: pooled 0.125, z = 0.125 / sqrt(0.125 * 0.875 * 2/256) = 4.28
    assert "at step 300" in sampled and "z = 4.28, p < 0.001" in sampled and "got better" in sampled
    assert "iou_threshold moved 2 times, from 0.3 to 0.55 (at steps 115, 240)" in text
    assert "monitor" not in text
