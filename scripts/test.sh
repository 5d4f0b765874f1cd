#!/usr/bin/env bash
# Runs every test of confab, installing first whatever the tests need.
# Usage: scripts/test.sh [extra cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests drive, as COMMAND:PACKAGE: tmux runs the interactive clients
# in a real terminal; irssi and weechat-headless are real IRC clients (tests/irc_real_client.rs);
# openssl's s_client is the real TLS client of tests/tls.rs; prometheus scrapes the metrics
# listener in tests/prometheus.rs; systemd-analyze verifies contrib/confab.service
# (tests/packaging.rs); redis-server joins the nodes of tests/cluster.rs (each test starts
# its own on a free loopback port).
# Installed only when the command is missing; needs root.
needed=()
for tool in tmux:tmux irssi:irssi weechat-headless:weechat-headless openssl:openssl \
    prometheus:prometheus systemd-analyze:systemd redis-server:redis-server; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || needed+=("${tool#*:}")
done
if [ ${#needed[@]} -gt 0 ]; then
  echo "installing: ${needed[*]}"
  apt-get update -qq && apt-get install -y -qq "${needed[@]}"
fi

cargo test --workspace --all-targets "$@"

# The web page in a real browser (Debian's chromium, Playwright for Python), against the
# binary cargo test just built. That script installs chromium and its pip packages itself.
CONFAB_BIN=target/debug/confab scripts/web-test.sh
