#!/usr/bin/env bash
# The main job on its embedded default. Extra arguments go to the command.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/venv.sh"
cd "$root"
exec "$root/.venv/bin/rewardkit" score --config examples/configs/math_answer.yaml \
  --input examples/data/math_rollouts.jsonl --output runs/score/scored.jsonl "$@"
