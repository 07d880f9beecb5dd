"""rewardkit inside other trainers. Each integration is a thin translation of the one contract.

- ``rewardkit.integrations.trl``: TRL's ``GRPOTrainer`` (reward functions, a callback that
  advances schedules and logs diagnostics, and a subclass for group-level scoring and per-token
  advantages). Needs the ``trl`` extra; importing this package imports no trainer.
"""
