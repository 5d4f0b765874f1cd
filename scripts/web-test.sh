#!/usr/bin/env bash
# Runs the browser tests of the web page (tests/web/): Debian's chromium driven by
# Playwright for Python, against the real confab binary on 127.0.0.1. Installs what they
# need when missing: the chromium package (apt, as root) and, in .venv-web/ (git-ignored),
# the pip packages of tests/web/requirements.txt. Playwright is pointed at the system
# browser; it never downloads one (`playwright install` is not run).
# Usage: scripts/web-test.sh [pytest arguments]   (CONFAB_BIN: the binary to test)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing: chromium"
  apt-get update -qq && apt-get install -y -qq chromium
fi
venv=.venv-web
if ! "$venv/bin/python" -c 'import playwright, pytest' >/dev/null 2>&1; then
  # Debian's own python3 keeps venv in a package of its own.
  python3 -m venv "$venv" || { apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv --clear "$venv"; }
  "$venv/bin/pip" install -q -r tests/web/requirements.txt
fi
if [ -z "${CONFAB_BIN:-}" ]; then
  cargo build -q --bin confab
  CONFAB_BIN=target/debug/confab
fi
export CONFAB_BIN CHROMIUM="${CHROMIUM:-$(command -v chromium)}"
# Every wait in the tests has its own timeout; this bounds the whole run besides.
timeout 600 "$venv/bin/python" -m pytest -p no:cacheprovider -q tests/web "$@"
