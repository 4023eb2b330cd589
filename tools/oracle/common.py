"""Host-side helpers shared by tools/gen_goldens.py and tools/conformance.py.

Runs under any python3 >= 3.8, stdlib only.  Finds CPython interpreters, builds the
deterministic environment the oracle worker runs in, and knows which bytescope CLI
invocation produces which view.
"""
from __future__ import annotations

import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WORKER = REPO / "tools" / "oracle" / "worker.py"


def load_worker():
    """Import worker.py as a module (it is valid Python 3) to share its view table."""
    spec = importlib.util.spec_from_file_location("bytescope_oracle_worker", WORKER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


W = load_worker()
VIEWS = W.VIEWS  # name -> (fixture suffix, first version, last version or None)
views_for = W.views_for

# bytescope CLI arguments whose output (per file) equals the fixture text of a view.
CLI_ARGS = {
    "header": ["header", "--json"],
    "attrs": ["info", "--json"],
    "info": ["info"],
    "dis": ["dis"],
    "dis-caches": ["dis", "--show-caches"],
    "dis-offsets": ["dis", "--show-offsets"],
    "dis-positions": ["dis", "--show-positions"],
    "instructions": ["dis", "--json"],
    "lines": ["table", "lines"],
    "positions": ["table", "positions"],
    "exceptions": ["table", "exceptions"],
    "linestarts": ["table", "linestarts"],
}
JSON_VIEWS = {v for v, (suffix, _lo, _hi) in VIEWS.items() if suffix.endswith(".json")}

ADDR_RE = re.compile(r" at 0x[0-9a-fA-F]+")


def normalize_addresses(text: str) -> str:
    """The only normalisation allowed when comparing with CPython: code-object addresses."""
    return ADDR_RE.sub(" at 0xADDR", text)


@dataclass(frozen=True)
class Interp:
    version: tuple  # (major, minor)
    full: str  # "3.12.1"
    path: str  # absolute path of the executable

    @property
    def tag(self) -> str:
        return "%d.%d" % self.version


_PROBE = (
    "import sys, platform; sys.stdout.write('%s %d.%d.%d %s\\n' % "
    "((platform.python_implementation(),) + tuple(sys.version_info[:3]) + (sys.executable,)))"
)


def _probe(path: str):
    try:
        out = subprocess.run([path, "-S", "-c", _PROBE], capture_output=True, text=True,
                             timeout=30, env=worker_env())
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    parts = out.stdout.strip().split(" ", 2)
    if len(parts) != 3 or parts[0] != "CPython":
        return None
    full = parts[1]
    major, minor, _micro = (int(x) for x in full.split("."))
    if (major, minor) < (2, 7) or major > 3:
        return None
    exe = os.path.realpath(parts[2] or path)
    return Interp((major, minor), full, exe)


def _pyenv_root():
    root = os.environ.get("PYENV_ROOT")
    if root:
        return Path(root)
    if shutil.which("pyenv"):
        try:
            out = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=30)
            if out.returncode == 0 and out.stdout.strip():
                return Path(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    return Path.home() / ".pyenv"


def _candidates():
    names = re.compile(r"^python(2\.7|3\.\d+|3|2)?$")
    seen = []
    pyenv_root = _pyenv_root()
    shims = str(pyenv_root / "shims")
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not d or os.path.realpath(d) == os.path.realpath(shims):
            continue  # pyenv shims only reach the selected version; we list versions below
        try:
            entries = sorted(os.listdir(d))
        except OSError:
            continue
        for e in entries:
            p = os.path.join(d, e)
            if names.match(e) and os.access(p, os.X_OK) and not os.path.isdir(p):
                seen.append(p)
    vdir = pyenv_root / "versions"
    if vdir.is_dir():
        for v in sorted(vdir.iterdir()):
            for exe in ("python", "python3", "python2"):
                p = v / "bin" / exe
                if p.exists():
                    seen.append(str(p))
                    break
    return list(dict.fromkeys(seen))


def _micro(i: Interp) -> int:
    return int(i.full.split(".")[2])


def discover(requested=None, verbose=False):
    """CPython interpreters, one per X.Y (highest micro wins), sorted by version.

    ``requested``: optional list of "X.Y" strings or interpreter paths.
    """
    paths = []
    wanted = set()
    for r in requested or []:
        if re.fullmatch(r"\d\.\d+", r):
            wanted.add(tuple(int(x) for x in r.split(".")))
        else:
            paths.append(r)
    if paths:
        probed = [_probe(p) for p in paths]
        bad = [p for p, i in zip(paths, probed) if i is None]
        if bad:
            raise SystemExit("not a usable CPython: %s" % ", ".join(bad))
    else:
        probed = []
    if wanted or not paths:
        with ThreadPoolExecutor(8) as ex:
            found = [i for i in ex.map(_probe, _candidates()) if i is not None]
        probed.extend(found)
    best = {}
    for i in probed:
        if wanted and i.version not in wanted and i.path not in [os.path.realpath(p) for p in paths]:
            continue
        cur = best.get(i.version)
        if cur is None or _micro(i) > _micro(cur):
            best[i.version] = i
    missing = wanted - set(best)
    if missing:
        raise SystemExit("no interpreter found for %s" % ", ".join("%d.%d" % v for v in sorted(missing)))
    out = [best[v] for v in sorted(best)]
    if verbose:
        for i in out:
            print("  python %-5s %-8s %s" % (i.tag, i.full, i.path), file=sys.stderr)
    return out


def worker_env():
    """A small fixed environment: hash seed 0, UTF-8 stdio, no colour, no user site."""
    env = {
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "NO_COLOR": "1",
        "PYTHON_COLORS": "0",
        "LANG": "C.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    if "HOME" in os.environ:
        env["HOME"] = os.environ["HOME"]
    return env


_SETARCH = None


def setarch_prefix():
    """["setarch", ARCH, "-R"] when ASLR can be disabled for children, else [].

    With ASLR off (and the fixed environment, fixed cwd and relative paths) the code
    object addresses printed by CPython are the same on every run on a given machine,
    so regenerating fixtures gives byte-identical files.
    """
    global _SETARCH
    if _SETARCH is None:
        _SETARCH = []
        exe = shutil.which("setarch")
        if exe and sys.platform.startswith("linux"):
            cmd = [exe, platform.machine(), "-R", "true"]
            try:
                if subprocess.run(cmd, capture_output=True, timeout=10).returncode == 0:
                    _SETARCH = cmd[:3]
            except (OSError, subprocess.SubprocessError):
                pass
    return list(_SETARCH)


def worker_cmd(interp: Interp, *args):
    return setarch_prefix() + [interp.path, "-S", "-s", "-B", str(WORKER.relative_to(REPO))] + list(args)
