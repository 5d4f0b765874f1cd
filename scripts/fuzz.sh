#!/usr/bin/env bash
# Builds confab's AFL++ fuzz targets (fuzz/, cargo-afl on stable Rust) and runs each for
# SECONDS (default 60), JOBS at a time (default: the number of CPUs), then reports the
# executions, paths and crashes of each. Exits 1 if any target found a crash or a hang.
#
#   scripts/fuzz.sh                 # every target, 60 s each
#   scripts/fuzz.sh 600 irc adapter_irc
#   JOBS=1 scripts/fuzz.sh 30       # the CI smoke: 30 s each, one at a time
#
# Findings land in fuzz/out/<target>/default/{crashes,hangs}/; replay one with
#   fuzz/target/release/<target> < fuzz/out/<target>/default/crashes/id:...
# then copy it into fuzz/corpus/<target>/ so `cargo test` replays it forever after.
# Targets and findings: docs/security.md, "Fuzzing".
set -euo pipefail

cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
ALL=(line prefixed packet rooms broadcast irc
     adapter_prefixed adapter_packet adapter_rooms adapter_broadcast adapter_irc cluster http)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL[@]}"); fi
JOBS=${JOBS:-$(nproc)}

for t in "${TARGETS[@]}"; do
    [ -d "fuzz/corpus/$t" ] || { echo "unknown target $t (known: ${ALL[*]})" >&2; exit 2; }
done

if ! cargo afl --version >/dev/null 2>&1; then
    echo "== installing cargo-afl (builds AFL++ too; a few minutes)"
    cargo install --locked cargo-afl
fi
# AFL++ itself is built once per toolchain; this is a no-op when it already is.
cargo afl config --build >/dev/null 2>&1 || true

echo "== building the targets"
# The fuzz crate is its own workspace with its own target dir (fuzz/target).
(cd fuzz && env -u CARGO_TARGET_DIR cargo afl build --release --quiet)

# No UI (logs instead), no CPU pinning (the machine is shared), no core-dump setup.
export AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
mkdir -p fuzz/out

run_one() {
    local t=$1 out=fuzz/out/$1
    # Resume from an earlier run's queue when there is one, else start from the seeds.
    local input=fuzz/corpus/$t
    if [ -d "$out/default/queue" ]; then input=-; fi
    cargo afl fuzz -V "$SECONDS_EACH" -t 1000 -i "$input" -o "$out" \
        "fuzz/target/release/$t" >"$out.log" 2>&1 || echo "afl-fuzz $t exited $?" >>"$out.log"
}

echo "== fuzzing ${#TARGETS[@]} targets for ${SECONDS_EACH}s each, $JOBS at a time"
running=0
for t in "${TARGETS[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n; running=$((running - 1)); fi
done
wait

afl_stat() { sed -n "s/^$2 *: *//p" "fuzz/out/$1/default/fuzzer_stats" 2>/dev/null || true; }
status=0
printf '%-18s %8s %12s %8s %8s %8s\n' target seconds execs corpus crashes hangs
for t in "${TARGETS[@]}"; do
    crashes=$(find "fuzz/out/$t/default/crashes" -name 'id:*' 2>/dev/null | wc -l)
    hangs=$(find "fuzz/out/$t/default/hangs" -name 'id:*' 2>/dev/null | wc -l)
    printf '%-18s %8s %12s %8s %8s %8s\n' "$t" "$(afl_stat "$t" run_time)" \
        "$(afl_stat "$t" execs_done)" "$(afl_stat "$t" corpus_count)" "$crashes" "$hangs"
    if [ ! -f "fuzz/out/$t/default/fuzzer_stats" ]; then
        echo "  $t did not run: see fuzz/out/$t.log" >&2
        status=1
    fi
    if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
        status=1
        find "fuzz/out/$t/default/crashes" "fuzz/out/$t/default/hangs" -name 'id:*' | sed 's/^/  /'
    fi
done
exit $status
