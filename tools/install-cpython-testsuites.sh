#!/bin/bash
# Adds the standard-library test suites to the Debian CPython 3.14/3.15 that
# ../shared/tools/install-cpython-3.14-3.15.sh installs (Debian ships Lib/test
# separately, as libpython3.X-testsuite), so tools/conformance.py covers those
# versions' whole standard library as it does for the pyenv builds.
#
#   tools/install-cpython-testsuites.sh [ROOT]   (default: ~/.local/share/cpython-debian)
#
# Uses the machine's Debian mirror with a private apt state; changes nothing system-wide.
set -euo pipefail
ROOT=${1:-${XDG_DATA_HOME:-$HOME/.local/share}/cpython-debian}
[ -d "$ROOT/usr/lib" ] || { echo "no Debian CPython under $ROOT; run ../shared/tools/install-cpython-3.14-3.15.sh first" >&2; exit 1; }
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/lists/partial" "$WORK/archives/partial" "$WORK/debs"
: > "$WORK/status"
echo "deb $MIRROR sid main" > "$WORK/sources.list"
APT=(-o Dir::Etc::SourceList="$WORK/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o Dir::State::Lists="$WORK/lists" -o Dir::State::Status="$WORK/status"
     -o Dir::Cache::Archives="$WORK/archives" -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root)
apt-get "${APT[@]}" update -qq
PKGS=""
for v in 3.14 3.15; do [ -d "$ROOT/usr/lib/python$v" ] && PKGS="$PKGS libpython$v-testsuite"; done
(cd "$WORK/debs" && apt-get "${APT[@]}" download $PKGS >/dev/null)
for d in "$WORK"/debs/*.deb; do dpkg -x "$d" "$ROOT"; done
for v in 3.14 3.15; do
  [ -d "$ROOT/usr/lib/python$v/test" ] && echo "python$v: $(find "$ROOT/usr/lib/python$v" -name '*.py' | wc -l) .py files"
done
