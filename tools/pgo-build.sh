#!/usr/bin/env bash
# Builds an optimized release binary of bytescope: profile-guided
# optimization (PGO) trained on the committed fixtures, statically linked
# where the target allows it. Prints the binary's path on the last line.
#
#   tools/pgo-build.sh            # target/pgo/<host triple>/release/bytescope
#   PGO_STATIC=0 tools/pgo-build.sh   # dynamically linked
#
# Needs llvm-profdata (`rustup component add llvm-tools`). A plain
# `cargo build --release` gives the same behaviour, a few percent slower
# (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
profdata=$(find "$(rustc --print sysroot)" -name llvm-profdata -type f 2>/dev/null | head -n 1)
if [ -z "$profdata" ]; then
    echo "pgo-build: llvm-profdata not found; run: rustup component add llvm-tools" >&2
    exit 1
fi
host=$(rustc -vV | sed -n 's/^host: //p')
out=$root/target/pgo
rm -rf "$out/profiles"
mkdir -p "$out/profiles"
# Naming the target keeps RUSTFLAGS off build scripts and proc-macros.
flags=""
if [ "${PGO_STATIC:-1}" = 1 ] && [[ $host == *-linux-gnu ]]; then
    flags="-C target-feature=+crt-static"
fi
echo "pgo-build: instrumented build" >&2
RUSTFLAGS="$flags -Cprofile-generate=$out/profiles" \
    cargo build --release --locked -q -p bytescope-cli --target "$host" --target-dir "$out/gen"
gen=$out/gen/$host/release/bytescope
# Training: every committed fixture of every version, and, where a python3
# is on PATH, this repository's own tools compiled by it (real modules, with
# the sizes and shapes of everyday code; never the benchmark's stdlib),
# through the commands whose speed matters (listing, one job and several;
# scan; info).
train=$out/train
rm -rf "$train"
mkdir -p "$train"
if command -v python3 >/dev/null 2>&1; then
    for f in tools/*.py tools/oracle/*.py; do
        python3 -c 'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)' \
            "$f" "$train/$(echo "$f" | tr / _)c" 2>/dev/null || true
    done
fi
mapfile -t pycs < <(find tests/fixtures examples "$train" -name '*.pyc' | sort)
echo "pgo-build: training on ${#pycs[@]} fixtures" >&2
for _ in 1 2 3; do
    "$gen" dis -j 1 "${pycs[@]}" >/dev/null 2>&1 || true
done
"$gen" dis "${pycs[@]}" >/dev/null 2>&1 || true
"$gen" scan -j 1 "${pycs[@]}" >/dev/null 2>&1 || true
"$gen" info "${pycs[@]}" >/dev/null 2>&1 || true
"$profdata" merge -o "$out/merged.profdata" "$out/profiles"
echo "pgo-build: optimized build" >&2
RUSTFLAGS="$flags -Cprofile-use=$out/merged.profdata -Cllvm-args=-pgo-warn-missing-function=false" \
    cargo build --release --locked -q -p bytescope-cli --target "$host" --target-dir "$out"
echo "$out/$host/release/bytescope"
