#!/usr/bin/env bash
# Runs the irctest IRC server conformance suite (github.com/progval/irctest) against confab.
#
# Usage: scripts/irctest.sh IRCTEST_DIR [extra pytest arguments]
#
# IRCTEST_DIR is a checkout of irctest kept outside this repository (nothing of irctest
# belongs in it). Its Python requirements must be installed in the Python this script
# uses ($PYTHON, default python3), for example in a venv:
#   python3 -m venv ~/irctest-venv && ~/irctest-venv/bin/pip install -r IRCTEST_DIR/requirements.txt
#   PYTHON=~/irctest-venv/bin/python scripts/irctest.sh IRCTEST_DIR
#
# By default it runs the whole suite: every module of irctest/server_tests/ and of
# irctest/server_tests/chmodes/ (not the umodes/ directory, nor ergo/, Ergo's own), with
# the markers `not implementation-specific and not deprecated`; services tests included
# (NickServ is built in). IRC over WebSocket (websocket.py) needs the Python package websockets from
# irctest's requirements. IRCTEST_MODULES (paths relative to IRCTEST_DIR) and
# IRCTEST_MARKERS replace the defaults, e.g. for one module:
#   IRCTEST_MODULES=irctest/server_tests/echo_message.py IRCTEST_MARKERS='not deprecated' ...
# The cargo build uses $CARGO_TARGET_DIR like any cargo command; CONFAB_BIN names the
# binary the controller starts instead (and then nothing is built).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"

if [ $# -lt 1 ]; then
  echo "usage: scripts/irctest.sh IRCTEST_DIR [pytest arguments]" >&2
  exit 2
fi
irctest_dir="$(cd "$1" 2>/dev/null && pwd)" || {
  echo "error: IRCTEST_DIR $1 does not exist (git clone https://github.com/progval/irctest)" >&2
  exit 2
}
shift
if [ ! -f "$irctest_dir/conftest.py" ] || [ ! -d "$irctest_dir/irctest/server_tests" ]; then
  echo "error: $irctest_dir is not an irctest checkout (no conftest.py, irctest/server_tests)" >&2
  exit 2
fi
if ! "$python" -c 'import pytest' 2>/dev/null; then
  echo "error: $python cannot import pytest; install irctest's requirements, e.g.:" >&2
  echo "  python3 -m venv ~/irctest-venv" >&2
  echo "  ~/irctest-venv/bin/pip install -r $irctest_dir/requirements.txt" >&2
  echo "  PYTHON=~/irctest-venv/bin/python scripts/irctest.sh $irctest_dir" >&2
  exit 2
fi

# Build confab, and tell the controller where the binary is.
if [ -z "${CONFAB_BIN:-}" ]; then
  (cd "$repo" && cargo build --release --quiet)
fi
export CONFAB_BIN="${CONFAB_BIN:-${CARGO_TARGET_DIR:-$repo/target}/release/confab}"
case "$CONFAB_BIN" in /*) ;; *) CONFAB_BIN="$repo/$CONFAB_BIN" ;; esac

default_modules=""
for m in "$irctest_dir"/irctest/server_tests/*.py "$irctest_dir"/irctest/server_tests/chmodes/*.py; do
  case "$m" in */__init__.py) continue ;; esac
  default_modules+=" ${m#"$irctest_dir"/}"
done
modules="${IRCTEST_MODULES:-$default_modules}"
markers="${IRCTEST_MARKERS:-not implementation-specific and not deprecated}"

cd "$irctest_dir"
set +e
# shellcheck disable=SC2086 # the module list is meant to split into words
PYTHONPATH="$repo/scripts/irctest${PYTHONPATH:+:$PYTHONPATH}" "$python" -m pytest \
  -p no:cacheprovider --controller confab_controller \
  -m "$markers" -k 'not deprecated' -rs $modules "$@" | tee /tmp/irctest-confab.$$.log
status=${PIPESTATUS[0]}
set -e
echo
echo "irctest: $(tail -n 1 /tmp/irctest-confab.$$.log | tr -d '=')"
rm -f /tmp/irctest-confab.$$.log
exit "$status"
