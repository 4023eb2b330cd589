#!/usr/bin/env python3
"""Generate crates/pyrepr/src/generated/printable.rs.

For every CPython minor version 3.0-3.15 this writes the set of code points
for which that version's ``str.isprintable()`` is true, as an inversion list
(sorted boundaries: in at even positions, out at odd ones). ``repr(str)``
escapes exactly the non-ASCII characters outside that set.

Sources, per version:
* 3.6-3.15: run that interpreter (pyenv for 3.6-3.13, ``python3.14`` and
  ``python3.15`` on PATH) and ask ``str.isprintable`` for every code point.
* 3.0-3.5 (no interpreter here; Unicode 5.1, 5.1, 6.0, 6.1, 6.3, 8.0): start
  from the closest generated table at or after that Unicode version (2.7's
  Unicode 5.2 database for 3.0/3.1 -- computed from ``unicodedata.category``
  with CPython's rule ``category[0] not in 'CZ' or ch == ' '`` -- and 3.6's
  9.0 for 3.2-3.5) and remove every code point not yet assigned in the
  target version, using Perl's "Present_In" tables
  (``unicore/lib/In/X_Y.pl``).  What this cannot model: general-category
  changes of already assigned characters between the two versions (e.g.
  U+180E became Cf in 6.3).  Without Perl's tables the script falls back to
  the closest *older* generated table (9.0 is newer than all of them, so
  that means 2.7's 5.2 table).

Identical tables are emitted once.  Run from the repository root:
    python3 tools/gen_unicode.py
"""
import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "pyrepr", "src", "generated", "printable.rs")

# (minor version, interpreter version as installed)
INTERPRETERS = [
    ((3, 6), "3.6.15"), ((3, 7), "3.7.16"), ((3, 8), "3.8.18"), ((3, 9), "3.9.18"),
    ((3, 10), "3.10.13"), ((3, 11), "3.11.7"), ((3, 12), "3.12.1"), ((3, 13), "3.13.0"),
    ((3, 14), "python3.14"), ((3, 15), "python3.15"),
]
# Versions without interpreter: (minor, unicode version, base table key)
DERIVED = [
    ((3, 0), "5.1.0", "2.7"), ((3, 1), "5.1.0", "2.7"), ((3, 2), "6.0.0", (3, 6)),
    ((3, 3), "6.1.0", (3, 6)), ((3, 4), "6.3.0", (3, 6)), ((3, 5), "8.0.0", (3, 6)),
]

SNIPPET3 = r"""
import sys, unicodedata
out = []
prev = False
for c in range(0x110000):
    p = chr(c).isprintable()
    if p != prev:
        out.append(c)
        prev = p
if prev:
    out.append(0x110000)
print(unicodedata.unidata_version)
print(' '.join(map(str, out)))
"""

SNIPPET27 = r"""
import unicodedata
out = []
prev = False
for c in range(0x110000):
    ch = unichr(c)
    p = c == 0x20 or unicodedata.category(ch)[0] not in 'CZ'
    if p != prev:
        out.append(c)
        prev = p
if prev:
    out.append(0x110000)
print(unicodedata.unidata_version)
print(' '.join(map(str, out)))
"""


def pyenv_python(ver):
    if ver.startswith("python"):
        return ver
    root = subprocess.check_output(["pyenv", "root"], text=True).strip()
    return os.path.join(root, "versions", ver, "bin", "python")


def run(exe, snippet):
    res = subprocess.run([exe, "-c", snippet], capture_output=True, text=True, check=True)
    lines = res.stdout.split("\n")
    ucd = lines[0].strip()
    inv = [int(x) for x in lines[1].split()]
    return ucd, inv


def inv_to_set_ranges(inv):
    return [(inv[i], inv[i + 1]) for i in range(0, len(inv), 2)]


def intersect(a, b):
    """Intersection of two inversion lists."""
    ra, rb = inv_to_set_ranges(a), inv_to_set_ranges(b)
    out = []
    i = j = 0
    while i < len(ra) and j < len(rb):
        lo = max(ra[i][0], rb[j][0])
        hi = min(ra[i][1], rb[j][1])
        if lo < hi:
            if out and out[-1] == lo:
                out[-1] = hi
            else:
                out.extend([lo, hi])
        if ra[i][1] < rb[j][1]:
            i += 1
        else:
            j += 1
    return out


def perl_present_in(ucd):
    major, minor = ucd.split(".")[:2]
    for path in sorted(glob.glob("/usr/share/perl/*/unicore/lib/In/%s_%s.pl" % (major, minor))):
        text = open(path).read()
        body = text.split("<<'END';", 1)[1].split("\nEND", 1)[0].split()
        assert body[0].startswith("V"), path
        nums = [int(x) for x in body[1:]]
        if len(nums) % 2:
            nums.append(0x110000)
        return nums, path
    return None, None


def count(inv):
    return sum(b - a for a, b in inv_to_set_ranges(inv))


def main():
    tables = {}
    ucds = {}
    for key, ver in INTERPRETERS:
        ucd, inv = run(pyenv_python(ver), SNIPPET3)
        tables[key] = inv
        ucds[key] = ucd
        print("%d.%d: Unicode %s, %d printable" % (key + (ucd, count(inv))), file=sys.stderr)
    ucd27, inv27 = run(pyenv_python("2.7.18"), SNIPPET27)
    tables["2.7"] = inv27
    ucds["2.7"] = ucd27
    notes = {}
    for key, ucd, base in DERIVED:
        present, path = perl_present_in(ucd)
        if present is None:
            tables[key] = tables["2.7"]
            notes[key] = "Unicode %s table of 2.7 (closest older; no Present_In data found)" % ucd27
        else:
            tables[key] = intersect(tables[base], present)
            basename = "2.7" if base == "2.7" else "%d.%d" % base
            notes[key] = "%s's Unicode %s table restricted to code points assigned in %s" % (
                basename, ucds[base], ucd)
        ucds[key] = ucd
        print("%d.%d: Unicode %s (derived), %d printable" % (key + (ucd, count(tables[key]))),
              file=sys.stderr)
    # Error estimate of the derivation: 3.6's 9.0 table restricted to 5.2 vs 2.7's real 5.2.
    present52, _ = perl_present_in("5.2.0")
    if present52 is not None:
        derived = intersect(tables[(3, 6)], present52)
        a = set()
        for lo, hi in inv_to_set_ranges(derived):
            a.update(range(lo, hi))
        b = set()
        for lo, hi in inv_to_set_ranges(inv27):
            b.update(range(lo, hi))
        print("derivation check (9.0 restricted to 5.2 vs real 5.2): %d code points differ: %s"
              % (len(a ^ b), ", ".join("U+%04X" % c for c in sorted(a ^ b)[:20])), file=sys.stderr)

    versions = [key for key, _, _ in DERIVED] + [key for key, _ in INTERPRETERS]
    versions.sort()
    distinct = []  # list of (name, inv)
    version_table = {}
    for key in versions:
        inv = tables[key]
        for idx, (name, other) in enumerate(distinct):
            if other == inv:
                version_table[key] = idx
                break
        else:
            version_table[key] = len(distinct)
            distinct.append(("UCD_" + ucds[key].replace(".", "_"), inv))

    lines = []
    lines.append("// @generated by tools/gen_unicode.py — do not edit")
    lines.append("//! `str.isprintable()` per CPython version, as inversion lists.")
    lines.append("//!")
    lines.append("//! Each table is a sorted list of boundaries: code points from an even")
    lines.append("//! index (inclusive) to the next odd index (exclusive) are printable.")
    lines.append("")
    for name, inv in distinct:
        users = [k for k in versions if distinct[version_table[k]][1] is inv]
        lines.append("/// Printable code points of %s." % ", ".join(
            "%d.%d%s" % (k + (" (derived)" if k in notes else "",)) for k in users))
        for k in users:
            if k in notes:
                lines.append("/// %d.%d: %s." % (k + (notes[k],)))
        lines.append("pub(crate) static %s: &[u32] = &[" % name)
        row = []
        for v in inv:
            row.append("0x%x," % v)
            if len(row) == 12:
                lines.append("    " + " ".join(row))
                row = []
        if row:
            lines.append("    " + " ".join(row))
        lines.append("];")
        lines.append("")
    lines.append("/// The printable table of CPython 3.`minor`, for minor 0..=15.")
    lines.append("pub(crate) fn table_for_minor(minor: u8) -> &'static [u32] {")
    lines.append("    match minor {")
    for key in versions:
        if key == versions[-1]:
            continue
        lines.append("        %d => %s," % (key[1], distinct[version_table[key]][0]))
    lines.append("        _ => %s," % distinct[version_table[versions[-1]]][0])
    lines.append("    }")
    lines.append("}")
    lines.append("")
    lines.append("/// Unicode database version of CPython 3.`minor`, for minor 0..=15.")
    lines.append("pub(crate) fn unicode_version_for_minor(minor: u8) -> &'static str {")
    lines.append("    match minor {")
    for key in versions:
        if key == versions[-1]:
            continue
        lines.append('        %d => "%s",' % (key[1], ucds[key]))
    lines.append('        _ => "%s",' % ucds[versions[-1]])
    lines.append("    }")
    lines.append("}")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %s (%d distinct tables)" % (OUT, len(distinct)), file=sys.stderr)


if __name__ == "__main__":
    main()
