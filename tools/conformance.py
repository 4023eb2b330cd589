#!/usr/bin/env python3
"""Conformance of the bytescope CLI against CPython over whole standard libraries.

Usage:
  tools/conformance.py [--python 3.12 ...] [--views dis,info,...] [--limit N]
                       [--site-packages] [--jobs 2] [--build] [--cli PATH | --fake-cli]
                       [--oracle-only] [--max-diffs 10] [--refresh]

For every interpreter found (or each --python X.Y / path), every .py under that
interpreter's own Lib directory (tests included; site-packages only with
--site-packages) is compiled by that interpreter into
``.conformance/<X.Y>/pyc/<relpath>c`` (co_filename = the path relative to Lib, mtime
1700000000; files that do not compile there, such as lib2to3 test data, are
skipped). The same interpreter then produces every view the version has: header,
attrs, info, dis, dis-caches, dis-offsets, dis-positions, instructions, lines,
positions, exceptions and linestarts. A view's text is exactly what the fixture
file of the same name in tests/fixtures contains; tests/fixtures/README.md has the
schemas and the CLI command for each view. The worker is tools/oracle/worker.py: one
process per version handles all files, and the expected outputs are cached as
hashes in ``.conformance/<X.Y>/expected.json``.

Then the bytescope CLI (``target/release/bytescope``; --build runs
``cargo build --release`` first) runs once per (version, view) over all files, in
chunks that stay under ARG_MAX. Its text output is split at the ``==> PATH <==`` lines
(JSON Lines output is grouped by each record's ``path``)
and compared file by file. The ``rewrite`` view runs ``bytescope rewrite IN OUT``
per pyc and compares the bytes with the input.

Comparison: only code-object addresses (`` at 0x...``) are normalised. JSON views
are compared as JSON values (parsed and re-serialised with sorted keys), so the
CLI's whitespace and key order do not matter but every value does. A file where
CPython itself fails on a view (e.g. int repr over 4300 digits) is left out of
that view's total and counted as ``oracle_errors``.

Output:
- a per-version line for each view as it finishes;
- ``.conformance/<X.Y>/diffs/<view>.txt``: the first --max-diffs differing files
  with a short unified diff (expected = CPython, actual = bytescope);
- ``.conformance/summary.json``;
- a Markdown table (version × view) on stdout, ready for the README.

--fake-cli uses the oracle itself as the CLI (``worker.py cli``), which checks
the harness (splitting, hashing, caching) end to end; ``--fake-perturb K`` makes
the fake alter every K-th file, so the mismatch reporting can be checked too.
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "oracle"))
import common  # noqa: E402

REPO = common.REPO
CACHE = REPO / ".conformance"
DEFAULT_CLI = REPO / "target" / "release" / "bytescope"
ARG_BUDGET = 96 * 1024  # bytes of file arguments per CLI process
SKIP_DIRS = {"__pycache__"}
PKG_DIRS = {"site-packages", "dist-packages"}
ALL_VIEWS = list(common.VIEWS) + ["rewrite"]
_print_lock = threading.Lock()


def log(*args):
    with _print_lock:
        print(*args, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------
# canonical form of one view's text
# ----------------------------------------------------------------------------
HEADER_KEYS = ("python", "magic", "magic_hex", "header_size", "flags", "hash_based",
               "check_source", "mtime", "source_size", "source_hash")


def canonical(view: str, data: bytes) -> bytes:
    text = data.decode("utf-8", "surrogateescape")
    text = common.normalize_addresses(text)
    if view in common.JSON_VIEWS:
        try:
            value = json.loads(text)
        except ValueError:
            pass  # not JSON: compare the (normalised) text itself
        else:
            if view == "instructions" and isinstance(value, list):
                # bytescope wraps each code object's instruction list with
                # its name, qualname, filename, firstlineno and offset.
                value = [v["instructions"] if isinstance(v, dict) and "instructions" in v else v
                         for v in value]
            if view == "header" and isinstance(value, dict):
                # bytescope adds fields CPython has no word for (release,
                # mtime_utc, ...); compare the ones the oracle states.
                value = {k: value.get(k) for k in HEADER_KEYS}
            text = json.dumps(value, sort_keys=True, ensure_ascii=True, separators=(",", ":")) + "\n"
    return text.encode("utf-8", "surrogateescape")


def digest(view: str, data: bytes) -> str:
    return hashlib.sha256(canonical(view, data)).hexdigest()[:32]


# ----------------------------------------------------------------------------
# per-version state
# ----------------------------------------------------------------------------
class Version:
    def __init__(self, interp: common.Interp, args):
        self.interp = interp
        self.args = args
        self.dir = CACHE / interp.tag
        self.pycdir = self.dir / "pyc"
        self.lib = None
        self.files = []  # relative .py paths under Lib
        self.expected = {}  # rel -> {"status": ..., "views": {view: digest|None}, "error": ...}
        self.views = [v for v in common.views_for(interp.version) if v in args.views]
        if "rewrite" in args.views:
            self.views.append("rewrite")
        self.results = {}

    # -- paths -------------------------------------------------------------
    def pyc_rel(self, rel: str) -> str:
        """Path of the cached pyc relative to the repository (what the CLI sees)."""
        return str((self.pycdir / (rel + "c")).relative_to(REPO))

    def manifest(self):
        return {
            "python": self.interp.full,
            "executable": self.interp.path,
            "oracle_format": common.W.ORACLE_FORMAT,
            "site_packages": bool(self.args.site_packages),
        }

    # -- discovery and cache -----------------------------------------------
    def prepare(self):
        out = subprocess.run(
            [self.interp.path, "-S", "-c",
             "import os,sys; sys.stdout.write(os.path.dirname(os.path.abspath(os.__file__)))"],
            capture_output=True, text=True, env=common.worker_env(), check=True)
        self.lib = Path(out.stdout.strip())
        files = []
        for root, dirs, names in os.walk(self.lib):
            dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS
                             and (self.args.site_packages or d not in PKG_DIRS))
            for n in sorted(names):
                if n.endswith(".py"):
                    files.append(os.path.relpath(os.path.join(root, n), self.lib))
        files.sort()
        if self.args.limit:
            files = files[: self.args.limit]
        self.files = files

        mpath = self.dir / "manifest.json"
        manifest = self.manifest()
        if self.args.refresh or not mpath.exists() or json.loads(mpath.read_text()) != manifest:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        mpath.write_text(json.dumps(manifest, indent=1) + "\n")
        epath = self.dir / "expected.json"
        if epath.exists():
            self.expected = json.loads(epath.read_text()).get("files", {})

    def save_expected(self):
        tmp = self.dir / "expected.json.tmp"
        tmp.write_text(json.dumps({"python": self.interp.full, "files": self.expected},
                                  sort_keys=True, separators=(",", ":")))
        tmp.replace(self.dir / "expected.json")

    # -- oracle ------------------------------------------------------------
    def oracle_views(self):
        return [v for v in self.views if v != "rewrite"]

    def run_oracle(self):
        views = self.oracle_views()
        todo = []
        for rel in self.files:
            e = self.expected.get(rel)
            if e is None or (e["status"] == "ok" and any(v not in e["views"] for v in views)):
                todo.append(rel)
        if not todo:
            log("[%s] expected outputs: all %d files cached" % (self.interp.tag, len(self.files)))
            return
        all_views = common.views_for(self.interp.version)  # cache every view at once
        t0 = time.time()
        log("[%s] oracle: %d files x %d views with Python %s ..." % (
            self.interp.tag, len(todo), len(all_views), self.interp.full))
        pending = list(todo)
        crashes = 0
        while pending:
            done = self._oracle_batch(pending, all_views, self._record)
            pending = pending[done:]
            crashes = crashes + 1 if done == 0 else 0
            if crashes > 5:
                raise SystemExit("[%s] the oracle worker keeps failing; giving up" % self.interp.tag)
            if pending:  # the worker died on pending[0]: record it and go on after it
                rel = pending.pop(0)
                self.expected[rel] = {"status": "crash", "views": {}, "error": "oracle worker crashed"}
                log("[%s] oracle worker crashed on %s" % (self.interp.tag, rel))
        self.save_expected()
        log("[%s] oracle done in %.0fs" % (self.interp.tag, time.time() - t0))

    def _record(self, rel, view, status, payload):
        e = self.expected.setdefault(rel, {"status": "ok", "views": {}})
        if status == "skip":
            self.expected[rel] = {"status": "skip", "views": {},
                                  "error": payload.decode("utf-8", "replace")[:300]}
        elif status == "ok":
            e["views"][view] = digest(view, payload)
        else:
            e["views"][view] = None
            e.setdefault("errors", {})[view] = payload.decode("utf-8", "replace")[:300]

    def _oracle_batch(self, rels, views, sink):
        """Run one worker over ``rels``; returns how many files completed."""
        by_pyc = {self.pyc_rel(rel): rel for rel in rels}
        lines = "".join("%s\t%s\t%s\n" % (self.lib / rel, self.pyc_rel(rel), rel) for rel in rels)
        proc = subprocess.Popen(common.worker_cmd(self.interp, "oracle", ",".join(views)),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=REPO, env=common.worker_env())
        feeder = threading.Thread(target=self._feed, args=(proc.stdin, lines.encode("utf-8")))
        feeder.start()
        errbuf = []
        errt = threading.Thread(target=lambda: errbuf.append(proc.stderr.read()))
        errt.start()
        completed = 0
        seen_views = {}
        out = proc.stdout
        while True:
            head = out.readline()
            if not head:
                break
            _at, view, size, status, pyc = head.decode("utf-8", "surrogateescape").rstrip("\n").split(" ", 4)
            payload = out.read(int(size))
            rel = by_pyc[pyc]
            sink(rel, view, status, payload)
            seen_views[rel] = seen_views.get(rel, 0) + 1
            if status == "skip" or seen_views[rel] == len(views):
                completed += 1
        proc.wait()
        feeder.join()
        errt.join()
        if proc.returncode != 0 and completed < len(rels):
            tail = (errbuf[0] if errbuf else b"").decode("utf-8", "replace")[-2000:]
            log("[%s] oracle worker exited with %s after %d/%d files:\n%s" % (
                self.interp.tag, proc.returncode, completed, len(rels), tail))
        return completed

    @staticmethod
    def _feed(stream, data):
        try:
            stream.write(data)
            stream.close()
        except BrokenPipeError:
            pass

    def expected_texts(self, rels, view):
        """Full oracle text of ``view`` for a few files (for diffs)."""
        texts = {}
        self._oracle_batch(rels, [view], lambda rel, v, status, payload: texts.__setitem__(rel, payload))
        return texts

    # -- comparison ----------------------------------------------------------
    def cli_cmd(self):
        if self.args.fake_cli:
            return common.worker_cmd(self.interp, "cli")
        return [str(self.args.cli)]

    def cli_env(self):
        env = common.worker_env() if self.args.fake_cli else dict(os.environ)
        if self.args.fake_cli and self.args.fake_perturb:
            env["BYTESCOPE_FAKE_PERTURB"] = str(self.args.fake_perturb)
        return env

    def comparable(self):
        return [rel for rel in self.files if self.expected.get(rel, {}).get("status") == "ok"]

    def compare_view(self, view):
        rels = self.comparable()
        if view == "rewrite":
            return self.compare_rewrite(rels)
        res = {"identical": 0, "total": 0, "oracle_errors": 0, "missing": 0, "differing": []}
        want = {}
        for rel in rels:
            d = self.expected[rel]["views"].get(view)
            if d is None:
                res["oracle_errors"] += 1
            else:
                want[self.pyc_rel(rel)] = (rel, d)
        res["total"] = len(want)
        actual_texts = {}  # first max_diffs differing files: the CLI text
        seen = set()

        def on_section(pyc, payload):
            if pyc not in want or pyc in seen:
                return
            seen.add(pyc)
            rel, d = want[pyc]
            if digest(view, payload) == d:
                res["identical"] += 1
            else:
                res["differing"].append(rel)
                if len(actual_texts) < self.args.max_diffs:
                    actual_texts[rel] = payload

        for chunk in chunks(list(want)):
            self.run_cli(view, chunk, on_section)
        for pyc, (rel, _d) in want.items():
            if pyc not in seen:
                res["missing"] += 1
                res["differing"].append(rel)
                if len(actual_texts) < self.args.max_diffs:
                    actual_texts[rel] = None
        res["differing"].sort()
        self.write_diffs(view, res, actual_texts)
        return res

    def run_cli(self, view, files, on_section):
        cmd = self.cli_cmd() + common.CLI_ARGS[view] + files
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
                                env=self.cli_env())
        errbuf = []
        errt = threading.Thread(target=lambda: errbuf.append(proc.stderr.read()))
        errt.start()
        if view in common.JSON_VIEWS and not self.args.fake_cli:
            split_records(view, proc.stdout, files, on_section)
        else:
            split_sections(proc.stdout, files, on_section)
        proc.wait()
        errt.join()
        if proc.returncode not in (0, 1) or (errbuf and errbuf[0] and self.args.verbose):
            log("[%s] %s: exit %s: %s" % (self.interp.tag, " ".join(common.CLI_ARGS[view]),
                                          proc.returncode, errbuf[0][-500:].decode("utf-8", "replace")))

    def compare_rewrite(self, rels):
        res = {"identical": 0, "total": len(rels), "oracle_errors": 0, "missing": 0, "differing": []}
        actual = {}
        with tempfile.TemporaryDirectory(prefix="bytescope-rewrite-") as tmp:
            out = os.path.join(tmp, "out.pyc")
            for rel in rels:
                src = self.pyc_rel(rel)
                if os.path.exists(out):
                    os.unlink(out)
                if self.args.fake_cli:
                    shutil.copyfile(REPO / src, out)  # the oracle's "rewrite" is the identity
                    if self.args.fake_perturb and len(res["differing"]) < 1:
                        with open(out, "ab") as f:
                            f.write(b"\0")
                else:
                    subprocess.run(self.cli_cmd() + ["rewrite", src, out], cwd=REPO,
                                   capture_output=True)
                data = open(out, "rb").read() if os.path.exists(out) else None
                if data == (REPO / src).read_bytes():
                    res["identical"] += 1
                else:
                    res["differing"].append(rel)
                    if data is None:
                        res["missing"] += 1
                    if len(actual) < self.args.max_diffs:
                        actual[rel] = data
        self.write_rewrite_diffs(res, actual)
        return res

    # -- reports -------------------------------------------------------------
    def write_diffs(self, view, res, actual_texts):
        ddir = self.dir / "diffs"
        ddir.mkdir(exist_ok=True)
        path = ddir / (view + ".txt")
        if not res["differing"]:
            path.unlink(missing_ok=True)
            return
        rels = list(actual_texts)
        expected = self.expected_texts(rels, view) if rels else {}
        parts = ["# %s %s: %d of %d files differ (%d missing from the CLI output)\n" % (
            self.interp.tag, view, len(res["differing"]), res["total"], res["missing"])]
        for rel in rels:
            act = actual_texts[rel]
            parts.append("\n=== %s (%s)\n" % (rel, self.pyc_rel(rel)))
            if act is None:
                parts.append("(no output from bytescope for this file)\n")
                continue
            exp_lines, act_lines = diff_lines(view, expected.get(rel, b""), act)
            diff = list(difflib.unified_diff(exp_lines, act_lines, "cpython", "bytescope",
                                             n=2, lineterm=""))
            diff = [d if len(d) <= 400 else d[:400] + " ..." for d in diff]
            parts.append("\n".join(diff[:40]) + ("\n... (%d more diff lines)" % (len(diff) - 40)
                                                 if len(diff) > 40 else "") + "\n")
        if len(res["differing"]) > len(rels):
            parts.append("\n# other differing files:\n")
            parts.extend("%s\n" % r for r in res["differing"][len(rels):200])
        path.write_text("".join(parts))

    def write_rewrite_diffs(self, res, actual):
        ddir = self.dir / "diffs"
        ddir.mkdir(exist_ok=True)
        path = ddir / "rewrite.txt"
        if not res["differing"]:
            path.unlink(missing_ok=True)
            return
        parts = ["# %s rewrite: %d of %d files differ\n" % (
            self.interp.tag, len(res["differing"]), res["total"])]
        for rel, data in actual.items():
            orig = (REPO / self.pyc_rel(rel)).read_bytes()
            if data is None:
                parts.append("%s: no output file\n" % rel)
                continue
            first = next((i for i, (a, b) in enumerate(zip(orig, data)) if a != b), min(len(orig), len(data)))
            parts.append("%s: sizes %d -> %d, first difference at byte %d (0x%x): %s | %s\n" % (
                rel, len(orig), len(data), first, first, orig[first:first + 16].hex(),
                data[first:first + 16].hex()))
        path.write_text("".join(parts))


def diff_lines(view, expected: bytes, actual: bytes):
    """Lines to diff: JSON views one instruction/row/attribute per line, else the text."""
    exp = common.normalize_addresses(expected.decode("utf-8", "replace"))
    act = common.normalize_addresses(actual.decode("utf-8", "replace"))
    if view in common.JSON_VIEWS:
        try:
            # The same reduction the comparison uses (canonical()).
            exp_v = json.loads(canonical(view, expected).decode("utf-8", "replace"))
            act_v = json.loads(canonical(view, actual).decode("utf-8", "replace"))
            return json_rows(exp_v), json_rows(act_v)
        except ValueError:
            pass  # one side is not JSON: show both texts as they are
    return exp.splitlines(), act.splitlines()


def json_rows(value):
    if not isinstance(value, list):
        return json.dumps(value, sort_keys=True, indent=1).splitlines()
    rows = []
    for i, item in enumerate(value):
        rows.append("# code object %d" % i)
        if isinstance(item, list):
            rows.extend("  " + json.dumps(x, sort_keys=True) for x in item)
        elif isinstance(item, dict):
            rows.extend("  %s: %s" % (k, json.dumps(v)) for k, v in item.items())
        else:
            rows.append("  " + json.dumps(item, sort_keys=True))
    return rows


def chunks(files):
    out, cur, size = [], [], 0
    for f in files:
        if cur and size + len(f) + 1 > ARG_BUDGET:
            out.append(cur)
            cur, size = [], 0
        cur.append(f)
        size += len(f) + 1
    if cur:
        out.append(cur)
    return out


def split_sections(stream, files, on_section):
    """Split CLI output into per-file sections at ``==> PATH <==`` lines.

    A header line only counts if PATH is one of ``files`` (so output that merely
    looks like a header cannot split a section). With a single file and no header,
    the whole output belongs to it.
    """
    names = set(files)
    current, buf = None, []
    first = True
    for line in iter(stream.readline, b""):
        if line.startswith(b"==> ") and line.rstrip(b"\r\n").endswith(b" <=="):
            name = line.rstrip(b"\r\n")[4:-4].decode("utf-8", "surrogateescape")
            if name in names:
                if current is not None:
                    on_section(current, b"".join(buf))
                current, buf, first = name, [], False
                continue
        if first and current is None and len(files) == 1:
            current, first = files[0], False
        buf.append(line)
    if current is not None:
        on_section(current, b"".join(buf))


# Keys the CLI's JSON Lines records add to CPython's fields (attrs view).
OWN_KEYS = ("path", "member", "index", "qualname", "firstlineno", "offset")


def split_records(view, stream, files, on_section):
    """Group the CLI's JSON Lines records by ``path`` into the oracle's shape.

    The fixture of a JSON view is one JSON value per file: the header object, or an
    array with one entry per code object (its instructions, its table rows, or its
    attributes). Each CLI record carries ``path``; records of one file are
    gathered in order and handed over as that value's JSON text.
    """
    names = set(files)
    grouped = {}
    for line in iter(stream.readline, b""):
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        path = rec.get("path") if isinstance(rec, dict) else None
        if path not in names or rec.get("member") is not None:
            continue
        if view == "header":
            grouped[path] = rec
            continue
        if view == "instructions":
            entry = rec.get("instructions")
        elif view == "attrs":
            entry = {k: v for k, v in rec.items() if k not in OWN_KEYS}
        else:
            entry = rec.get("rows")
        grouped.setdefault(path, []).append(entry)
    for path, value in grouped.items():
        on_section(path, (json.dumps(value, ensure_ascii=False) + "\n").encode("utf-8", "surrogateescape"))


# ----------------------------------------------------------------------------
def run_version(v: Version):
    t0 = time.time()
    v.prepare()
    v.run_oracle()
    skipped = sum(1 for r in v.files if v.expected.get(r, {}).get("status") != "ok")
    log("[%s] %d files under %s, %d compiled, %d skipped (do not compile / oracle crash)" % (
        v.interp.tag, len(v.files), v.lib, len(v.files) - skipped, skipped))
    if v.args.oracle_only:
        return
    for view in v.views:
        t1 = time.time()
        res = v.compare_view(view)
        v.results[view] = res
        log("[%s] %-14s %6d/%-6d identical%s  (%.0fs)" % (
            v.interp.tag, view, res["identical"], res["total"],
            (", %d oracle errors" % res["oracle_errors"]) if res["oracle_errors"] else "",
            time.time() - t1))
    log("[%s] done in %.0fs" % (v.interp.tag, time.time() - t0))


def pct(res):
    if not res["total"]:
        return "n/a"
    p = 100.0 * res["identical"] / res["total"]
    s = ("%.1f" % p) if res["identical"] != res["total"] else "100"
    if s == "100.0":
        s = "99.9"
    return s + "%"


def markdown(versions):
    views = [v for v in ALL_VIEWS if any(v in ver.results for ver in versions)]
    head = "| version | files | " + " | ".join(views) + " |"
    lines = [head, "|" + "---|" * (len(views) + 2)]
    for ver in versions:
        n = sum(1 for r in ver.files if ver.expected.get(r, {}).get("status") == "ok")
        cells = []
        for view in views:
            res = ver.results.get(view)
            cells.append("—" if res is None else pct(res))
        lines.append("| %s (%s) | %d | %s |" % (ver.interp.tag, ver.interp.full, n, " | ".join(cells)))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", nargs="+", metavar="X.Y|PATH", help="versions (default: all found)")
    ap.add_argument("--views", default=",".join(ALL_VIEWS),
                    help="comma-separated subset of: " + ", ".join(ALL_VIEWS))
    ap.add_argument("--limit", type=int, default=0, help="only the first N files of each Lib (sorted)")
    ap.add_argument("--site-packages", action="store_true", help="include site-/dist-packages")
    ap.add_argument("--jobs", type=int, default=2, help="versions processed in parallel")
    ap.add_argument("--cli", type=Path, default=DEFAULT_CLI, help="bytescope binary")
    ap.add_argument("--build", action="store_true", help="cargo build --release first")
    ap.add_argument("--fake-cli", action="store_true", help="use the CPython oracle as the CLI")
    ap.add_argument("--fake-perturb", type=int, default=0, metavar="K",
                    help="with --fake-cli: alter every K-th file's output")
    ap.add_argument("--oracle-only", action="store_true", help="only build the pyc/expected caches")
    ap.add_argument("--max-diffs", type=int, default=10, help="differing files shown per view")
    ap.add_argument("--refresh", action="store_true", help="drop the caches of the selected versions")
    ap.add_argument("--verbose", action="store_true", help="show the CLI's stderr")
    args = ap.parse_args()
    args.views = [v.strip() for v in args.views.split(",") if v.strip()]
    unknown = set(args.views) - set(ALL_VIEWS)
    if unknown:
        ap.error("unknown views: %s" % ", ".join(sorted(unknown)))

    if args.build and not args.fake_cli:
        subprocess.run(["cargo", "build", "--release", "-p", "bytescope-cli"], cwd=REPO, check=True)
    if not args.fake_cli and not args.oracle_only and not args.cli.exists():
        ap.error("%s does not exist (cargo build --release, or --build, or --fake-cli)" % args.cli)

    interps = common.discover(args.python, verbose=True)
    versions = [Version(i, args) for i in interps]
    CACHE.mkdir(exist_ok=True)
    with ThreadPoolExecutor(max(1, args.jobs)) as ex:
        for f in [ex.submit(run_version, v) for v in versions]:
            f.result()
    if args.oracle_only:
        return

    summary_path = CACHE / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    summary.setdefault("versions", {})
    for v in versions:
        files_ok = sum(1 for r in v.files if v.expected.get(r, {}).get("status") == "ok")
        summary["versions"][v.interp.tag] = {
            "python": v.interp.full,
            "lib": str(v.lib),
            "files": len(v.files),
            "compiled": files_ok,
            "skipped": len(v.files) - files_ok,
            "limit": args.limit or None,
            "cli": "fake (CPython oracle)" if args.fake_cli else str(args.cli),
            "views": {view: {k: (val if k != "differing" else len(val)) for k, val in res.items()}
                      for view, res in v.results.items()},
        }
    summary["versions"] = dict(sorted(summary["versions"].items(),
                                      key=lambda kv: tuple(map(int, kv[0].split(".")))))
    summary_path.write_text(json.dumps(summary, indent=1) + "\n")
    print(markdown(versions))
    print("\nsummary: %s; first differing files per view: %s/<X.Y>/diffs/<view>.txt" % (
        summary_path.relative_to(REPO), CACHE.relative_to(REPO)), file=sys.stderr)


if __name__ == "__main__":
    main()
