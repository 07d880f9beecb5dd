"""The report's monitor section renders each alert: where, which detector, curves, examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from rewardkit.monitor.report import alert_section

pytest.importorskip("matplotlib")


def test_alert_block_has_step_detector_plot_and_examples(tmp_path: Path) -> None:
    rows = [
        {"step": s, "reward/mean": 0.01 * s, "train/success": 0.3, "monitor/unverified_share": 0.5}
        for s in range(30)
    ]
    alert = {
        "step": 20,
        "kind": "alert",
        "source": "proxy_divergence",
        "message": "reward/mean rose by 0.19 <fast>",
        "stats": {"proxy_gain": 0.19},
        "keys": ["reward/mean", "train/success"],
        "examples": [{"completion": "<answer>1</answer>", "reward": 1.0, "correct": False}],
    }
    page = "\n".join(alert_section(tmp_path, rows, [alert]))
    assert "<h3>Step 20: proxy_divergence</h3>" in page
    assert "rose by 0.19 &lt;fast&gt;" in page  # escaped
    assert "data:image/png;base64," in page and (tmp_path / "plots" / "alert-0.png").exists()
    assert "&lt;answer&gt;1&lt;/answer&gt;" in page and "verifier: rejects" in page


def test_a_monitored_run_without_alerts_says_so(tmp_path: Path) -> None:
    page = alert_section(tmp_path, [{"step": 0, "monitor/repeat_ngram_frac": 0.1}], [])
    assert page[-1] == "<p>No alert: no detector fired in this run.</p>"


def test_an_unmonitored_run_has_no_section(tmp_path: Path) -> None:
    assert alert_section(tmp_path, [{"step": 0, "reward/mean": 0.1}], []) == []
