#!/usr/bin/env bash
# apt-get install PACKAGES quietly, as root: what apt and dpkg print goes to a log file, shown only
# when the install fails. Usage: scripts/apt_install.sh "why they are needed" PACKAGE...
set -euo pipefail
why="$1"; shift
log="$(mktemp -t rewardkit-apt.XXXXXX.log)"
start=$SECONDS
echo "[rewardkit] installing $* ($why)" >&2
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Use-Pty=0 "$@"; } >"$log" 2>&1; then
  echo "[rewardkit] 'apt-get install $*' failed; the last lines of its log ($log):" >&2
  tail -n 30 "$log" >&2
  exit 1
fi
echo "[rewardkit] $* installed in $((SECONDS - start)) s" >&2
rm -f "$log"
