#!/usr/bin/env bash
# Runs fuzz targets one after another, each for SECONDS (default 600), on one
# core, with the seeds in fuzz/seeds/<target>/ and a working corpus in
# fuzz/corpus/<target>/ (gitignored). Fork mode with -ignore_crashes keeps a
# run going after a finding; crashing inputs land in fuzz/artifacts/<target>/.
# Logs: fuzz/logs/<target>.log. Extra libFuzzer flags come from $FUZZ_ARGS,
# e.g. FUZZ_ARGS="-dict=dicts/marshal.dict -use_value_profile=1"; $LOG_SUFFIX
# names the log fuzz/logs/<target><suffix>.log.
#
#   fuzz/run.sh [SECONDS] [TARGET...]      e.g. fuzz/run.sh 600 marshal dis
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(header marshal tables dis pyc archive)
mkdir -p logs
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    # The write targets read what their read-side twins read.
    seeds="seeds/$t"
    case $t in
        write_marshal) seeds=seeds/marshal ;;
        write_tables) seeds=seeds/tables ;;
    esac
    cargo +nightly fuzz run -O -a -s none "$t" "corpus/$t" "$seeds" -- \
        -max_total_time="$secs" -rss_limit_mb=1024 -timeout=5 -fork=1 \
        -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1 ${FUZZ_ARGS:-} >"logs/$t${LOG_SUFFIX:-}.log" 2>&1 || true
    log="logs/$t${LOG_SUFFIX:-}.log"
    echo "$t: $(grep -c 'CRASH\|crash-\|leak-\|timeout-\|oom-' "$log" || true) finding line(s); log in fuzz/$log"
done
