#!/usr/bin/env bash
# The main job: `rewardkit train` on its embedded default (the boxes task, a tiny model built
# and warm-started locally, the IoU-threshold ladder). Extra arguments go to the command.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/venv.sh"
cd "$root"
exec "$root/.venv/bin/rewardkit" train "$@"
