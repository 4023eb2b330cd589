#!/usr/bin/env python3
"""Benchmark `bytescope dis` against its peers, all measured in the same run.

Usage:
    python3 tools/bench.py [--python 3.12] [--files 300] [--quick] [--strict]
                           [--bytescope PATH] [--no-build] [--no-xdis] [--no-scan] [--pgo]

Runs under any python3 >= 3.8, stdlib only (xdis goes into its own venv).

What it does
------------
1. Compiles the chosen interpreter's whole standard library (every ``*.py`` under
   ``sysconfig.get_paths()['stdlib']``, test packages included, site-packages
   excluded) with *that* interpreter into ``.bench/stdlib-X.Y.Z/``, at the three
   optimisation levels ``make install`` writes (``NAME.pyc``, ``NAME.opt-1.pyc``,
   ``NAME.opt-2.pyc``), with ``PYTHONHASHSEED=0`` and checked-hash headers (3.7+),
   so the same interpreter always yields the same bytes.  Files the interpreter
   cannot compile (deliberately broken test data) are skipped and counted.  The
   result is cached (``MANIFEST.json``) and reused while the interpreter is the same.
2. The *sample*: the opt-0 pycs sorted by path, every k-th, N of them (``--files``).
3. Measures, each ``--repeat`` times (3, or 1 with ``--quick``) as separate
   processes, reporting the median; before every timed run (untimed) it reads that
   run's input files again, so each starts with a warm page cache (some virtual
   machines, this project's among them, drop clean page cache within seconds):
   - ``bytescope dis -j 1 FILES...`` in one process (single-threaded; before the
     CLI had ``-j``, plain ``bytescope dis FILES...``); the default (a thread per
     core) is shown too but not used in ratios;
   - CPython's own ``dis`` of the same version: one interpreter process that, for
     each file, reads it, ``marshal.loads(data[header:])`` and
     ``dis.dis(code, file=io.StringIO())`` (2.7: stdout redirected to a
     cStringIO).  Timed *inside* the process, so interpreter start-up and
     ``import dis`` are not counted against CPython (its wall time is shown too).
     Each CPython run comes right after three more ``bytescope dis -j 1`` runs,
     and the ratio the floor uses is the median over these pairs of CPython's
     time over the median of its three bytescope runs: on a shared virtual
     machine the speed of both drifts by tens of percent within seconds, and
     pairing compares them under the same conditions.  These paired runs are
     timed from ``wait4`` of the bytescope process itself, not through the GNU
     time wrapper the other rows use for peak memory (its start-up would be
     counted against bytescope, while CPython's side is timed in-process);
   - xdis ``pydisasm FILES...`` (PyPI ``xdis``, installed into
     ``.bench/venv-xdis`` with the machine's ``python3``): its CLI takes many files
     and handles them in one process, the same shape as ``bytescope dis FILES...``,
     so that is what is timed (wall, start-up included for both).  Its output
     format differs from dis; only time is compared;
   - ``pycdas`` (from pycdc) if it is on PATH, one process per file (it takes one
     file), reported as absent otherwise.
4. The full-stdlib scan: all pycs of step 1 (5,000+ for 3.x) with ``bytescope scan
   -j 1`` and ``-j 2`` (given the directory; the file list if scan takes no
   directories), and the full disassembly ``bytescope dis -j 1``/``-j 2`` of the same
   files.  The 2-core floor is checked on ``scan -j 2``; until ``scan`` exists, on
   ``dis -j 2``; until ``-j`` exists, on two concurrent ``bytescope dis`` processes
   over the two halves of the list.  Wall time, CPU time, files/second and peak RSS
   (GNU time's %M per process, summed over concurrent processes; without
   /usr/bin/time, ``wait4``'s ru_maxrss, which also counts the pages the child was
   forked with).
5. Prints a Markdown report (also written to ``.bench/results-X.Y.md`` and
   ``.json``) with ratios and PASS/FAIL for the floors:
   - ``bytescope dis`` single-threaded over 300+ pycs >= 100x faster than CPython's
     dis (in-process time) of the same files, and faster than pycdas;
   - full-stdlib scan (5,000+ pycs) under 2 s on 2 cores;
   - peak RSS of every bytescope run under 200 MB.
   ``--strict`` makes a FAIL the exit status (1); a SKIP never fails.

``--pgo`` measures the release binary ``tools/pgo-build.sh`` makes (profile-guided
optimisation trained on the committed fixtures, statically linked on Linux) in
every row, and in the CPython pairs also the plain ``cargo build --release``
binary (three more runs per pair), whose paired ratio is reported beside it.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / ".bench"
HELPERS = BENCH / "helpers"

FLOOR_RATIO_CPYTHON = 100.0
FLOOR_SCAN_SECONDS = 2.0
FLOOR_SCAN_FILES = 5000
FLOOR_SAMPLE_FILES = 300
FLOOR_PEAK_MB = 200.0
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

# --- helpers that run inside the benchmarked interpreter (2.7-compatible) ---------

COMPILE_HELPER = r'''
import os, sys, py_compile
# argv: stdlib_dir out_dir list_file suffix ; the -O flags choose the level
stdlib, out, listfile, suffix = sys.argv[1:5]
kw = {}
if hasattr(py_compile, "PycInvalidationMode"):
    kw["invalidation_mode"] = py_compile.PycInvalidationMode.CHECKED_HASH
ok = bad = 0
with open(listfile) as f:
    rels = [line.rstrip("\n") for line in f if line.strip()]
for rel in rels:
    cfile = os.path.join(out, rel[:-3] + suffix)
    d = os.path.dirname(cfile)
    if not os.path.isdir(d):
        try:
            os.makedirs(d)
        except OSError:
            pass
    try:
        py_compile.compile(os.path.join(stdlib, rel), cfile=cfile, dfile=rel, doraise=True, **kw)
        ok += 1
    except Exception:
        bad += 1
sys.stdout.write("%d %d\n" % (ok, bad))
'''

CPYTHON_DIS_HELPER = r'''
import sys, marshal, dis
try:
    from time import perf_counter as clock, process_time as cpu
except ImportError:
    from time import time as clock, clock as cpu
listfile, header = sys.argv[1], int(sys.argv[2])
with open(listfile) as f:
    paths = [line.rstrip("\n") for line in f if line.strip()]
errors = 0
chars = 0
if sys.version_info >= (3, 4):
    import io
    t0, c0 = clock(), cpu()
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        buf = io.StringIO()
        try:
            dis.dis(marshal.loads(data[header:]), file=buf)
        except Exception:
            errors += 1
        chars += len(buf.getvalue())
    t1, c1 = clock(), cpu()
else:
    from cStringIO import StringIO
    real = sys.stdout
    t0, c0 = clock(), cpu()
    for p in paths:
        with open(p, "rb") as f:
            data = f.read()
        buf = StringIO()
        sys.stdout = buf
        try:
            dis.dis(marshal.loads(data[header:]))
        except Exception:
            errors += 1
        finally:
            sys.stdout = real
        chars += len(buf.getvalue())
    t1, c1 = clock(), cpu()
sys.stdout.write('{"seconds": %r, "cpu": %r, "errors": %d, "chars": %d}\n' % (t1 - t0, c1 - c0, errors, chars))
'''


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


# --- finding things ----------------------------------------------------------------


def version_key(s):
    return tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.]", s))


def find_python(xy):
    """The interpreter for X.Y: the highest pyenv X.Y.Z, else pythonX.Y on PATH."""
    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(os.environ["PYENV_ROOT"])
    try:
        out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            roots.append(out.stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        pass
    roots.append(os.path.expanduser("~/.pyenv"))
    for root in roots:
        cands = glob.glob(os.path.join(root, "versions", xy + ".*", "bin", "python"))
        cands = [c for c in cands if re.search(r"/%s\.\d+/bin/python$" % re.escape(xy), c)]
        if cands:
            return max(cands, key=lambda c: version_key(c.split("/")[-3]))
    found = shutil.which("python" + xy)
    if found:
        return found
    raise SystemExit("no interpreter for Python %s (pyenv or python%s on PATH)" % (xy, xy))


PROBE = (
    "import sys, sysconfig; sys.stdout.write('%d.%d.%d\\n%s\\n' % "
    "(tuple(sys.version_info[:3]) + (sysconfig.get_paths()['stdlib'],)))"
)


def probe_python(exe):
    HELPERS.mkdir(parents=True, exist_ok=True)
    out = subprocess.run([exe, "-S", "-c", PROBE], capture_output=True, text=True,
                         cwd=str(HELPERS), env=clean_env(), check=True)
    full, stdlib = out.stdout.strip().splitlines()
    return full, stdlib


def header_size(version):
    major, minor = version[:2]
    if major == 2 or (major, minor) < (3, 3):
        return 8
    if (major, minor) < (3, 7):
        return 12
    return 16


def write_helper(name, text):
    HELPERS.mkdir(parents=True, exist_ok=True)
    path = HELPERS / name
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return path


# --- the file set ------------------------------------------------------------------

OPT_SUFFIXES = [("", ".pyc"), ("-O", ".opt-1.pyc"), ("-OO", ".opt-2.pyc")]


def stdlib_sources(stdlib):
    rels = []
    for dirpath, dirnames, filenames in os.walk(stdlib):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in ("site-packages", "dist-packages", "__pycache__"))
        for fn in filenames:
            if fn.endswith(".py"):
                rels.append(os.path.relpath(os.path.join(dirpath, fn), stdlib).replace(os.sep, "/"))
    return sorted(rels)


def compile_stdlib(exe, full, stdlib):
    """Compile the stdlib at opt levels 0-2 into .bench/stdlib-FULL (cached)."""
    out = BENCH / ("stdlib-" + full)
    manifest = out / "MANIFEST.json"
    if manifest.exists():
        m = json.loads(manifest.read_text())
        if m.get("python") == full and m.get("exe") == exe:
            return out, m
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    rels = stdlib_sources(stdlib)
    listfile = out / "SOURCES.txt"
    listfile.write_text("".join(r + "\n" for r in rels))
    helper = write_helper("bench_compile.py", COMPILE_HELPER)
    log("compiling %d stdlib sources of Python %s at -O0/-O/-OO into %s ..."
        % (len(rels), full, out.relative_to(REPO)))
    t0 = time.perf_counter()
    procs = []
    for flag, suffix in OPT_SUFFIXES:
        cmd = [exe, "-W", "ignore"] + ([flag] if flag else []) + [str(helper), stdlib, str(out), str(listfile), suffix]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, cwd=str(HELPERS),
                                      env=clean_env(), universal_newlines=True))
    failed = 0
    for p in procs:
        stdout, _ = p.communicate()
        if p.returncode != 0:
            raise SystemExit("compiling the stdlib failed (exit %d)" % p.returncode)
        failed += int(stdout.split()[1])
    pycs = sorted(os.path.relpath(os.path.join(d, f), str(out)).replace(os.sep, "/")
                  for d, _, fs in os.walk(str(out)) for f in fs if f.endswith(".pyc"))
    m = {"python": full, "exe": exe, "sources": len(rels), "failed": failed, "pycs": pycs}
    manifest.write_text(json.dumps(m, indent=1))
    log("  %d pycs in %.1f s (%d compile failures skipped)" % (len(pycs), time.perf_counter() - t0, failed))
    return out, m


def pick_sample(pycs, n):
    opt0 = [p for p in pycs if not re.search(r"\.opt-\d\.pyc$", p)]
    if n >= len(opt0):
        return opt0
    k = len(opt0) // n
    return opt0[::k][:n]


def total_mb(root, rels):
    return sum(os.path.getsize(os.path.join(str(root), r)) for r in rels) / 1e6


def warm(root, rels):
    for r in rels:
        with open(os.path.join(str(root), r), "rb") as f:
            while f.read(1 << 20):
                pass


# --- running and measuring -------------------------------------------------------


class Run:
    def __init__(self, wall, cpu, peak_kb, rc, stdout, stderr):
        self.wall, self.cpu, self.peak_kb, self.rc = wall, cpu, peak_kb, rc
        self.stdout, self.stderr = stdout, stderr


def run_group(cmds, cwd, env=None, capture_stdout=False, rss=True):
    """Start `cmds` concurrently; wall time until all end, summed peak RSS (KB).

    With `rss` False no GNU time wrapper runs: the figures are the
    command's own process, without the wrapper's start-up (about 0.5 ms).
    """
    import tempfile
    files = []
    procs = []
    t0 = time.perf_counter()
    rss_files = []
    for cmd in cmds:
        so = tempfile.TemporaryFile() if capture_stdout else None
        se = tempfile.TemporaryFile()
        files.append((so, se))
        if GNU_TIME and rss:
            # ru_maxrss of a direct child counts the parent's pages it was forked
            # with; GNU time forks from a small process, so its %M is the program's.
            fd, rss_path = tempfile.mkstemp(prefix="rss-", dir=str(BENCH))
            os.close(fd)
            rss_files.append(rss_path)
            cmd = [GNU_TIME, "-f", "%M", "-o", rss_path] + list(cmd)
        procs.append(subprocess.Popen(cmd, cwd=str(cwd), env=env, stdout=so or subprocess.DEVNULL, stderr=se))
    peak = 0
    cpu = 0.0
    rcs = []
    for p in procs:
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
        rcs.append(p.returncode)
        if not (GNU_TIME and rss):
            peak += ru.ru_maxrss
        cpu += ru.ru_utime + ru.ru_stime  # includes the reaped grandchild under GNU time
    wall = time.perf_counter() - t0
    for path in rss_files:
        with open(path) as f:
            nums = [int(t) for t in f.read().split() if t.isdigit()]
        os.unlink(path)
        peak += nums[-1] if nums else 0
    outs = []
    for so, se in files:
        texts = []
        for f in (so, se):
            if f is None:
                texts.append("")
                continue
            f.seek(0)
            texts.append(f.read().decode("utf-8", "replace"))
            f.close()
        outs.append(texts)
    rc = max(rcs, key=abs)
    return Run(wall, cpu, peak, rc, "".join(o for o, _ in outs), "".join(e for _, e in outs))


def measure(name, cmds, cwd, repeat, env=None, capture_stdout=False, inner=None, warmup=False, before=None):
    """Median of `repeat` runs of `cmds` (started together).

    `inner(run)` may return (wall, cpu) measured inside the process; these then
    replace the process's own figures in "wall"/"cpu" ("proc_wall" keeps those).
    `before()` runs before every run, untimed (re-reading the input files:
    some virtual machines drop clean page cache within seconds).
    """
    if warmup:
        if before:
            before()
        run_group(cmds, cwd, env, capture_stdout)
    runs = []
    for i in range(repeat):
        if before:
            before()
        r = run_group(cmds, cwd, env, capture_stdout)
        r.inner = inner(r) if inner else None
        runs.append(r)
        log("  %-50s run %d/%d: wall %.3f s, cpu %.3f s%s, peak %.1f MB, exit %d" % (
            name, i + 1, repeat, r.wall, r.cpu,
            "" if r.inner is None else " (in-process: wall %.3f s, cpu %.3f s)" % r.inner,
            r.peak_kb / 1024, r.rc))
    med = {
        "inner_runs": [r.inner for r in runs] if inner else None,
        "name": name,
        "wall": statistics.median(r.inner[0] if inner else r.wall for r in runs),
        "cpu": statistics.median(r.inner[1] if inner else r.cpu for r in runs),
        "proc_wall": statistics.median(r.wall for r in runs),
        "peak_mb": max(r.peak_kb for r in runs) / 1024,
        "rc": runs[-1].rc,
        "stderr": runs[-1].stderr,
        "stdout": runs[-1].stdout,
        "walls": [r.wall for r in runs],
    }
    return med


def compare_baseline(old, new, sample, root, full, sample_mb, runs, strict):
    """`--baseline`: `dis -j 1` of an older binary against ours on the same
    sample, in interleaved runs (old, new, new, old, ...) so both meet the same
    host conditions; each run is preceded by re-reading the files (untimed) and
    timed from wait4 of the process. Reports CPU and wall medians and the ratio
    new/old of the CPU medians, and checks both print the same bytes."""
    cmds = {"old": [old, "dis", "-j", "1"] + sample, "new": [new, "dis", "-j", "1"] + sample}
    outs = {k: run_group([c], root, capture_stdout=True, rss=False).stdout for k, c in cmds.items()}
    same = outs["old"] == outs["new"]
    log("outputs %s (%d bytes)" % ("identical" if same else "DIFFER", len(outs["new"])))
    times = {"old": [], "new": []}
    for i in range(runs):
        order = ("old", "new") if i % 2 == 0 else ("new", "old")
        for k in order:
            warm(root, sample)
            r = run_group([cmds[k]], root, rss=False)
            times[k].append((r.wall, r.cpu))
        log("  pair %2d/%d: old cpu %.4f s, new cpu %.4f s" % (i + 1, runs, times["old"][-1][1], times["new"][-1][1]))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v)) for k, v in times.items()}
    pair_ratios = [n[1] / o[1] for o, n in zip(times["old"], times["new"]) if o[1] > 0]
    ratio_cpu = med["new"][1] / med["old"][1] if med["old"][1] > 0 else float("inf")
    ok = same and ratio_cpu <= 1.05
    report = "\n".join([
        "## `bytescope dis -j 1`: this build against a baseline (CPython %s stdlib, %d pycs, %.1f MB)" % (
            full, len(sample), sample_mb),
        "",
        "| binary | CPU median (s) | wall median (s) |",
        "|---|---:|---:|",
        "| baseline `%s` | %.4f | %.4f |" % (old, med["old"][1], med["old"][0]),
        "| this build `%s` | %.4f | %.4f |" % (new, med["new"][1], med["new"][0]),
        "",
        "- %d interleaved runs of each; ratio of the CPU medians new/old: **%.3f** (median of the per-pair "
        "ratios %.3f); outputs %s." % (runs, ratio_cpu, statistics.median(pair_ratios) if pair_ratios else float("nan"),
                                       "identical" if same else "DIFFER"),
        "- floor (at most 5%% slower, same output): **%s**" % ("PASS" if ok else "FAIL"),
        "",
    ])
    print(report)
    (BENCH / ("baseline-%s.md" % full)).write_text(report)
    return 1 if strict and not ok else 0


def failures(stderr):
    return sum(1 for line in stderr.splitlines() if line.startswith("bytescope: "))


# --- capability probes ---------------------------------------------------------------


def probe_cli(exe, sample_file, cwd):
    def ok(args):
        r = subprocess.run([exe] + args, cwd=str(cwd), stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=60)
        return r.returncode == 0
    caps = {
        "dis_j": ok(["dis", "-j", "1", sample_file]),
        "scan": ok(["scan", sample_file]),
    }
    caps["scan_j"] = caps["scan"] and ok(["scan", "-j", "1", sample_file])
    probe = BENCH / "probe-dir"
    shutil.rmtree(str(probe), ignore_errors=True)
    probe.mkdir()
    shutil.copy(os.path.join(str(cwd), sample_file), str(probe / "probe.pyc"))
    caps["scan_dir"] = caps["scan_j"] and ok(["scan", "-j", "1", str(probe)])
    shutil.rmtree(str(probe), ignore_errors=True)
    return caps


def git_describe():
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=str(REPO),
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "crates"],
                               cwd=str(REPO), capture_output=True, text=True).stdout.strip()
        return head + (" (+ uncommitted changes in crates/)" if dirty else "")
    except OSError:
        return "?"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def setup_xdis(quick):
    venv = BENCH / "venv-xdis"
    exe = venv / "bin" / "pydisasm"
    if not exe.exists():
        if quick:
            log("xdis: no .bench/venv-xdis yet and --quick: skipped")
            return None, None
        host = shutil.which("python3") or sys.executable
        log("xdis: creating .bench/venv-xdis with %s and installing xdis from PyPI ..." % host)
        subprocess.run([host, "-m", "venv", str(venv)], check=True)
        r = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "xdis"])
        if r.returncode != 0 or not exe.exists():
            log("xdis: install failed, skipped")
            return None, None
    ver = subprocess.run([str(venv / "bin" / "python"), "-c",
                          "import xdis.version, sys; print(xdis.version.__version__, '%d.%d.%d' % sys.version_info[:3])"],
                         capture_output=True, text=True, cwd=str(HELPERS)).stdout.split()
    return str(exe), ver


# --- report --------------------------------------------------------------------------


def fmt_s(x):
    return "%.3f" % x if x < 10 else "%.1f" % x


def fmt_x(x):
    return "%.1f" % x if x < 10 else "%.0f" % x


def ratio(peer, ours):
    return peer / ours if ours > 0 else float("inf")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default="3.12", help="CPython X.Y whose stdlib and dis are used (default 3.12)")
    ap.add_argument("--files", type=int, default=300, help="sample size for the peer comparison (default 300)")
    ap.add_argument("--quick", action="store_true", help="one repetition instead of --repeat; no xdis install")
    ap.add_argument("--repeat", type=int, default=3, help="repetitions per measurement, median taken (default 3)")
    ap.add_argument("--bytescope", help="use this binary instead of building target/release/bytescope")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build --release first")
    ap.add_argument("--no-xdis", action="store_true", help="skip xdis")
    ap.add_argument("--no-scan", action="store_true", help="skip the full-stdlib scan")
    ap.add_argument("--strict", action="store_true", help="exit 1 if a floor FAILs")
    ap.add_argument("--baseline", metavar="PATH",
                    help="only compare `dis -j 1` of this (older) bytescope binary with ours, paired: "
                         "interleaved runs on the same sample, CPU medians and their ratio (floor: 5%% slower at most)")
    ap.add_argument("--baseline-runs", type=int, default=21, help="runs of each binary with --baseline (default 21)")
    ap.add_argument("--pgo", action="store_true",
                    help="measure the tools/pgo-build.sh binary (and pair the plain release build with CPython too)")
    args = ap.parse_args()
    repeat = 1 if args.quick else max(1, args.repeat)

    BENCH.mkdir(exist_ok=True)
    load0 = os.getloadavg()[0]
    if args.bytescope:
        bs = str(Path(args.bytescope).resolve())
    else:
        bs = str(REPO / "target" / "release" / "bytescope")
        if not args.no_build:
            log("cargo build --release -p bytescope-cli ...")
            subprocess.run(["cargo", "build", "--release", "-q", "-p", "bytescope-cli"], cwd=str(REPO), check=True)
    plain_bs = None
    if args.pgo:
        plain_bs = bs
        if args.no_build:
            host = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
            host = next(l.split(": ", 1)[1] for l in host.splitlines() if l.startswith("host: "))
            bs = str(REPO / "target" / "pgo" / host / "release" / "bytescope")
        else:
            log("tools/pgo-build.sh ...")
            built = subprocess.run([str(REPO / "tools" / "pgo-build.sh")], cwd=str(REPO), check=True,
                                   stdout=subprocess.PIPE, universal_newlines=True)
            bs = built.stdout.strip().splitlines()[-1]
    for b_ in (bs, plain_bs):
        if b_ and not os.path.exists(b_):
            raise SystemExit("no bytescope binary at %s" % b_)

    py = find_python(args.python)
    full, stdlib = probe_python(py)
    version = tuple(int(x) for x in full.split("."))
    root, manifest = compile_stdlib(py, full, stdlib)
    pycs = manifest["pycs"]
    sample = pick_sample(pycs, args.files)
    sample_list = root / ("SAMPLE-%d.txt" % len(sample))
    sample_list.write_text("".join(p + "\n" for p in sample))
    all_list = root / "ALL.txt"
    all_list.write_text("".join(p + "\n" for p in pycs))
    sample_mb = total_mb(root, sample)
    all_mb = total_mb(root, pycs)
    log("sample: %d pycs (%.2f MB); full stdlib: %d pycs (%.1f MB)" % (len(sample), sample_mb, len(pycs), all_mb))
    warm(root, pycs)

    caps = probe_cli(bs, sample[0], root)
    log("bytescope CLI: %s" % ", ".join("%s=%s" % kv for kv in sorted(caps.items())))

    if args.baseline:
        return compare_baseline(str(Path(args.baseline).resolve()), bs, sample, root, full, sample_mb,
                                args.baseline_runs, args.strict)

    results = {"python": full, "sample_files": len(sample), "sample_mb": sample_mb,
               "all_files": len(pycs), "all_mb": all_mb, "caps": caps, "rows": {},
               "build": "pgo" if args.pgo else "release"}
    rows = results["rows"]

    # Every timed run is preceded by reading its input files again (untimed).
    def warm_sample():
        warm(root, sample)

    def warm_all():
        warm(root, pycs)

    # bytescope over the sample
    log("measuring (%d repetition%s, median) ..." % (repeat, "" if repeat == 1 else "s"))
    # The single-threaded figure every ratio uses: `dis -j 1` once -j exists
    # (the default is then one thread per core), plain `dis` before.
    if caps["dis_j"]:
        rows["bytescope"] = measure("bytescope dis -j 1", [[bs, "dis", "-j", "1"] + sample], root, repeat,
                                    warmup=True, before=warm_sample)
        rows["bytescope_default"] = measure("bytescope dis (default -j)", [[bs, "dis"] + sample], root, repeat,
                                            warmup=True, before=warm_sample)
    else:
        rows["bytescope"] = measure("bytescope dis", [[bs, "dis"] + sample], root, repeat, warmup=True,
                                    before=warm_sample)

    # CPython's dis
    helper = write_helper("bench_cpython_dis.py", CPYTHON_DIS_HELPER)
    hsize = header_size(version)

    def inner(run):
        try:
            j = json.loads(run.stdout.strip().splitlines()[-1])
            return j["seconds"], j["cpu"]
        except (ValueError, IndexError, KeyError):
            return float("nan"), float("nan")
    # CPython runs alternate with bytescope runs (three, median) so that each
    # pair meets the same host conditions: on a shared virtual machine the
    # speed of both drifts by tens of percent over seconds. The ratio used
    # is the median of the per-pair ratios.
    py_cmd = [[py, str(helper), str(sample_list), str(hsize)]]
    bs_cmd = [[bs, "dis", "-j", "1"] + sample] if caps["dis_j"] else [[bs, "dis"] + sample]
    plain_cmd = [[plain_bs] + bs_cmd[0][1:]] if plain_bs else None
    pairs = []
    plain_pairs = []

    def paired_bytescope():
        for cmd, into in ((plain_cmd, plain_pairs), (bs_cmd, pairs)):
            if not cmd:
                continue
            runs = []
            for _ in range(3):
                warm_sample()
                # Timed as CPython's side is, without a wrapper process.
                runs.append(run_group(cmd, root, rss=False))
            into.append({"wall": statistics.median(r.wall for r in runs),
                         "cpu": statistics.median(r.cpu for r in runs)})

    rows["cpython"] = measure("CPython %s dis" % full, py_cmd, root, repeat, env=clean_env(), capture_stdout=True,
                              inner=inner, before=lambda: (paired_bytescope(), warm_sample()))
    cp_runs = rows["cpython"]["inner_runs"]
    pairs = pairs[-len(cp_runs):]  # the warm-up run has a pair too
    rows["cpython"]["paired"] = {
        "bytescope_wall": [p["wall"] for p in pairs],
        "bytescope_cpu": [p["cpu"] for p in pairs],
        "ratio_wall": statistics.median(w / p["wall"] for (w, _), p in zip(cp_runs, pairs)),
        "ratio_cpu": statistics.median(c / p["cpu"] for (_, c), p in zip(cp_runs, pairs)),
    }
    if plain_pairs:
        plain_pairs = plain_pairs[-len(cp_runs):]
        rows["cpython"]["paired_plain"] = {
            "bytescope_cpu": [p["cpu"] for p in plain_pairs],
            "ratio_wall": statistics.median(w / p["wall"] for (w, _), p in zip(cp_runs, plain_pairs)),
            "ratio_cpu": statistics.median(c / p["cpu"] for (_, c), p in zip(cp_runs, plain_pairs)),
        }
    try:
        rows["cpython"]["errors"] = json.loads(rows["cpython"]["stdout"].strip().splitlines()[-1])["errors"]
    except (ValueError, IndexError, KeyError):
        rows["cpython"]["errors"] = None

    # xdis
    xdis_ver = None
    if not args.no_xdis:
        pydisasm, xdis_ver = setup_xdis(args.quick)
        if pydisasm:
            env = clean_env()
            env.pop("PYTHONHASHSEED")
            rows["xdis"] = measure("xdis pydisasm", [[pydisasm] + sample], root, repeat, env=env,
                                   capture_stdout=True, before=warm_sample)
            # pydisasm reports a file it cannot load on stdout and goes on.
            rows["xdis"]["failed"] = rows["xdis"]["stdout"].count("Ill-formed bytecode file")

    # pycdas
    pycdas = shutil.which("pycdas")
    if pycdas:
        # pycdas takes one file per process; run them back to back from a shell loop.
        script = 'for f in "$@"; do "%s" "$f" >/dev/null 2>&1; done' % pycdas
        rows["pycdas"] = measure("pycdas (one process per file)", [["sh", "-c", script, "sh"] + sample], root,
                                 repeat, before=warm_sample)

    # full-stdlib scan
    scan_rows = []
    if not args.no_scan:
        plans = []  # (how, jobs, cmds, counts_for_floor)
        for jobs in (1, 2):
            if caps["scan_dir"]:
                plans.append(("bytescope scan -j %d DIR" % jobs, jobs, [[bs, "scan", "-j", str(jobs), "."]], True))
            elif caps["scan_j"]:
                plans.append(("bytescope scan -j %d FILES..." % jobs, jobs, [[bs, "scan", "-j", str(jobs)] + pycs],
                              True))
        for jobs in (1, 2):
            if caps["dis_j"]:
                plans.append(("bytescope dis -j %d FILES..." % jobs, jobs, [[bs, "dis", "-j", str(jobs)] + pycs],
                              not caps["scan_j"]))
            elif jobs == 1:
                plans.append(("bytescope dis FILES... (no -j yet)", 1, [[bs, "dis"] + pycs], not caps["scan_j"]))
            else:
                half = (len(pycs) + 1) // 2
                plans.append(("bytescope dis, 2 processes x half the files (no -j yet)", 2,
                              [[bs, "dis"] + pycs[:half], [bs, "dis"] + pycs[half:]], not caps["scan_j"]))
        for how, jobs, cmds, floor in plans:
            r = measure(how, cmds, root, repeat, warmup=True, before=warm_all)
            r.update(how=how, jobs=jobs, floor=floor, failed=failures(r["stderr"]))
            scan_rows.append(r)
    results["scan"] = scan_rows

    # ---- report ----
    b = rows["bytescope"]
    nfail = failures(b["stderr"])
    n = len(sample)
    lines = []
    w = lines.append
    w("### Peers: %d stdlib pycs of CPython %s (%.2f MB), single-threaded" % (n, full, sample_mb))
    w("")
    w("| tool | wall (s) | CPU (s) | files/s | peak RSS (MB) | bytescope is (wall) | (CPU) |")
    w("|---|---:|---:|---:|---:|---|---|")

    def row(label, r, ours=True):
        if ours:
            vs, vc = "—", "—"
        else:
            vs = "**×%s faster**" % fmt_x(ratio(r["wall"], b["wall"]))
            vc = "×%s" % fmt_x(ratio(r["cpu"], b["cpu"]))
        w("| %s | %s | %s | %.0f | %.1f | %s | %s |" % (
            label, fmt_s(r["wall"]), fmt_s(r["cpu"]), n / r["wall"], r["peak_mb"], vs, vc))

    if caps["dis_j"]:
        row("`bytescope dis -j 1 FILES...` (one thread%s)" % ("; `tools/pgo-build.sh` binary" if args.pgo else ""), b)
    else:
        row("`bytescope dis FILES...` (one process, single-threaded)", b)
    if "bytescope_default" in rows:
        w("| `bytescope dis FILES...` (default: a thread per core; not used in ratios) | %s | %s | %.0f | %.1f | | |" % (
            fmt_s(rows["bytescope_default"]["wall"]), fmt_s(rows["bytescope_default"]["cpu"]),
            n / rows["bytescope_default"]["wall"], rows["bytescope_default"]["peak_mb"]))
    c = rows["cpython"]
    row("CPython %s `dis.dis` in one process (timed inside: start-up excluded)" % full, c, ours=False)
    if "xdis" in rows:
        x = rows["xdis"]
        note = "" if x["rc"] == 0 else "; exit %d: %d of the files not loaded" % (x["rc"], x["failed"])
        row("xdis %s `pydisasm FILES...` (one process, Python %s%s)" % (
            xdis_ver[0] if xdis_ver else "?", xdis_ver[1] if xdis_ver else "?", note), x, ours=False)
    elif args.no_xdis:
        w("| xdis `pydisasm` | | | | | skipped (--no-xdis) | |")
    else:
        w("| xdis `pydisasm` | | | | | not available | |")
    if "pycdas" in rows:
        row("pycdas (one process per file)", rows["pycdas"], ours=False)
    else:
        w("| pycdas | | | | | not on PATH: not measured | |")
    w("")
    w("CPython's figures are measured inside its process around the read/`marshal.loads`/`dis.dis` "
      "loop (its whole process took %s s wall); bytescope's and xdis' are the whole process." % fmt_s(c["proc_wall"]))
    w("")
    if nfail or b["rc"] != 0:
        w("bytescope reported %d failing file(s) (exit %d); first: `%s`" % (
            nfail, b["rc"], (b["stderr"].splitlines() or [""])[0]))
        w("")
    if c.get("errors"):
        w("CPython's dis raised on %d file(s)." % c["errors"])
        w("")

    if scan_rows:
        w("### Full stdlib: %d pycs of CPython %s (%.1f MB; opt-0/1/2, test packages included)" % (
            len(pycs), full, all_mb))
        w("")
        w("`scan` prints one JSON record per file and per code object (metadata, no disassembly); "
          "`dis` prints every file's full disassembly.")
        w("")
        w("| command | jobs | wall (s) | CPU (s) | files/s | MB/s | peak RSS (MB) | failed files |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|")
        for r in scan_rows:
            w("| `%s` | %d | %s | %s | %.0f | %.1f | %.1f | %d |" % (
                r["how"], r["jobs"], fmt_s(r["wall"]), fmt_s(r["cpu"]), len(pycs) / r["wall"], all_mb / r["wall"],
                r["peak_mb"], r["failed"]))
        w("")

    pr_ = c.get("paired")
    if pr_:
        w("Paired with CPython's runs (each CPython run right after three bytescope runs, whose median it is "
          "compared with; median of the %d pairs): bytescope is **×%.1f faster** (wall), ×%.1f (CPU); bytescope's "
          "paired CPU times: %s s." % (len(pr_["bytescope_cpu"]), pr_["ratio_wall"], pr_["ratio_cpu"],
                                       ", ".join("%.3f" % t for t in pr_["bytescope_cpu"])))
        w("")
    pp_ = c.get("paired_plain")
    if pp_:
        w("The binary measured above is `tools/pgo-build.sh`'s (`--pgo`). The plain `cargo build --release` "
          "binary, paired the same way in the same run: **×%.1f** (wall), ×%.1f (CPU); its paired CPU times: "
          "%s s." % (pp_["ratio_wall"], pp_["ratio_cpu"], ", ".join("%.3f" % t for t in pp_["bytescope_cpu"])))
        w("")

    # floors (on the paired ratio when there is one: both tools under the
    # same host conditions)
    verdicts = []
    rat = pr_["ratio_wall"] if pr_ else ratio(c["wall"], b["wall"])
    rat_cpu = pr_["ratio_cpu"] if pr_ else ratio(c["cpu"], b["cpu"])
    if len(sample) < FLOOR_SAMPLE_FILES:
        verdicts.append(("SKIP", "dis >= %d× CPython dis: sample has %d < %d files" % (
            FLOOR_RATIO_CPYTHON, len(sample), FLOOR_SAMPLE_FILES)))
    else:
        verdicts.append(("PASS" if rat >= FLOOR_RATIO_CPYTHON else "FAIL",
                         "bytescope dis ≥ %d× faster than CPython %s dis over %d pycs: ×%.1f wall (×%.1f CPU)%s" % (
                             FLOOR_RATIO_CPYTHON, full, len(sample), rat, rat_cpu, ", paired" if pr_ else "")))
    if "pycdas" in rows:
        pr = ratio(rows["pycdas"]["wall"], b["wall"])
        verdicts.append(("PASS" if pr > 1 else "FAIL", "bytescope dis faster than pycdas: ×%.2f" % pr))
    else:
        verdicts.append(("SKIP", "bytescope dis faster than pycdas: pycdas not on PATH"))
    floor_rows = [r for r in scan_rows if r["floor"] and r["jobs"] == 2]
    if floor_rows:
        two = floor_rows[0]
        if len(pycs) < FLOOR_SCAN_FILES:
            verdicts.append(("SKIP", "full-stdlib scan < %.0f s: only %d pycs (< %d)" % (
                FLOOR_SCAN_SECONDS, len(pycs), FLOOR_SCAN_FILES)))
        else:
            verdicts.append(("PASS" if two["wall"] < FLOOR_SCAN_SECONDS else "FAIL",
                             "full-stdlib scan (%d pycs) < %.0f s on 2 cores: %.3f s (%s)" % (
                                 len(pycs), FLOOR_SCAN_SECONDS, two["wall"], two["how"])))
    peaks = [b["peak_mb"]] + [r["peak_mb"] for r in scan_rows]
    if "bytescope_default" in rows:
        peaks.append(rows["bytescope_default"]["peak_mb"])
    verdicts.append(("PASS" if max(peaks) < FLOOR_PEAK_MB else "FAIL",
                     "peak RSS of every bytescope run < %.0f MB: %.1f MB" % (FLOOR_PEAK_MB, max(peaks))))
    w("### Floors")
    w("")
    for v, text in verdicts:
        w("- **%s** %s" % (v, text))
    w("")
    cmd = "python3 tools/bench.py --python %s --files %d" % (args.python, args.files)
    if args.quick:
        cmd += " --quick"
    w("Reproduce: `%s` (median of %d run%s; page cache warm)." % (cmd, repeat, "" if repeat == 1 else "s"))
    w("Machine: %d cores (`nproc`), %s, %s; load average at start %.2f, at end %.2f; bytescope %s." % (
        os.cpu_count() or 0, cpu_model(), platform.platform(terse=True), load0, os.getloadavg()[0],
        git_describe()))
    report = "\n".join(lines)
    print(report)

    results["verdicts"] = verdicts
    for r in list(rows.values()) + scan_rows:
        r.pop("stdout", None)
        r["stderr"] = r["stderr"][:2000]
    (BENCH / ("results-%s.md" % args.python)).write_text(report + "\n")
    (BENCH / ("results-%s.json" % args.python)).write_text(json.dumps(results, indent=1, default=str))
    if args.strict and any(v == "FAIL" for v, _ in verdicts):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
