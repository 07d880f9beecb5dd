#!/usr/bin/env bash
# Debian's Chromium for the report's browser test (tests/runs/test_report_browser.py).
# Installed with apt when missing and running as root (CI); otherwise says how, and the test skips.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "[rewardkit] installing chromium (headless browser for the report test)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
else
  echo "[rewardkit] chromium is missing: 'sudo apt-get install chromium' to run the report's browser test" >&2
fi
