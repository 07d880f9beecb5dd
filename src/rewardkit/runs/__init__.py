"""What a training run leaves behind, and what reads it: run folders, summaries, reports, comparison.

A run folder holds ``config.json``, ``metrics.jsonl``, ``events.jsonl``, ``samples.jsonl``,
``summary.json``, the PNG curves and ``report.html``. The built-in trainer writes it through
``runlog``; ``rewardkit report``, ``rewardkit compare`` and the benchmarks read it. Nothing here
imports the trainer; matplotlib and each sink's package (torch's for TensorBoard) load on use.

- ``runlog``: ``RunFolder`` (the logs, cut back on resume), the metric sinks, ``read_jsonl``;
- ``summary``: ``summary.json`` and the numbers runs are compared by (steps to target, final);
- ``report`` (``report.html``), with ``headline``, ``plots`` and ``glossary``;
- ``compare``: ``rewardkit compare``, curves overlaid and a table.
"""
