#!/usr/bin/env bash
# Debian's Chromium for the report's browser test (tests/runs/test_report_browser.py).
# Installed with apt when missing and running as root (CI); otherwise says how, and the test skips.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  "$(dirname "${BASH_SOURCE[0]}")/apt_install.sh" "headless browser for the report test" chromium
else
  echo "[rewardkit] chromium is missing: 'sudo apt-get install chromium' to run the report's browser test" >&2
fi
