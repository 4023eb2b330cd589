#!/usr/bin/env python3
"""Builds the synthetic frozen applications of crates/frozen/tests/data/.

Usage:  tools/gen_frozen_fixtures.py [--check]

Each archive is laid out as the PyInstaller release it imitates writes it
(the formats are transcribed in docs/frozen.md from PyInstaller's
``PyInstaller/archive/writers.py``, ``pyz_crypto.py`` and the bootloader's
``pyi_archive.h`` at those tags; no PyInstaller code is used), around modules
taken from the committed CPython fixtures (``tests/fixtures/X.Y/*.pyc``: their
marshal data, header stripped) and a few tiny modules compiled by the matching
pyenv interpreter. Next to the archives, ``expected.json`` holds what an
extractor must produce for each: the target magic and version, and per entry
its kind, output path and the sha256 of the bytes to write (a pyc is the
target's magic, zero fields up to the version's header length, then the
marshal data). The expectations come from the inputs given here, never from
bytescope's output.

Variants (cookie layout x PYZ variant x container):

- ``pi6_py312.elf``: PyInstaller 6.x, 88-byte cookie, pyvers 312, headerless
  ``m``, zlib PYZ with a list TOC (typ 0, 1 and a zero-length typ 3), ``o``
  options (one repeated), a ``base_library.zip`` ``x`` entry, a ``b``
  binary; inside a minimal ELF64 whose ``pydata`` section is the package,
  section headers after it, and a stray cookie magic in the "bootloader".
- ``pi6_py312_custom.elf``: the same with the cookie magic changed to
  ``AAA\\014…`` (a modified PyInstaller): found through ``pydata``.
- ``pi6_py312_custom.exe``: the same package as the overlay of a minimal
  PE32+, modified magic: found through the PE section table.
- ``pi5_py38_ctr.bin``: PyInstaller 5.x, pyvers 308, AES-CTR-encrypted PYZ
  with ``pyimod00_crypto_key``, namespace package as typ 3 with data; 4 KiB of
  junk after the cookie.
- ``pi4_py38_ctr.bin``: PyInstaller 4.0-4.5, pyvers 38, ``m`` entries as
  complete pycs with ``pyi0`` in the timestamp, AES-CTR PYZ.
- ``pi3_py37_cfb8.bin``: PyInstaller 3.x, pyvers 37, AES-CFB8-encrypted PYZ,
  ``m`` complete pycs, namespace package as typ 1.
- ``pi21_py27.bin``: PyInstaller 2.1, 88-byte cookie at EOF, pyvers 27,
  ``s`` entries as source text ending in ``\\n\\0``, dict PYZ TOC with
  ``ispkg`` booleans, zlib level 9 in the PYZ header.
- ``pi20_py27.bin``: PyInstaller 2.0, 24-byte cookie at EOF, dict TOC.
- ``cxfreeze_py312.zip``: a cx_Freeze ``library.zip``.
- ``nuitka.bin``: bytes with Nuitka's onefile marker.

Needs ``cryptography`` (AES) and, to compile the tiny modules, pyenv
interpreters 2.7, 3.7, 3.8 and 3.12 (only when regenerating).
"""
from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "crates" / "frozen" / "tests" / "data"
FIX = ROOT / "tests" / "fixtures"
COOKIE_MAGIC = b"MEI\014\013\012\013\016"
HEADER_LEN = {"2.7": 8, "3.7": 16, "3.8": 16, "3.12": 16}
PYENV = {"2.7": "2.7.18", "3.7": "3.7.16", "3.8": "3.8.18", "3.12": "3.12.1"}


def pyenv_python(v: str) -> str:
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    return f"{root}/versions/{PYENV[v]}/bin/python"


def compile_with(v: str, source: str, filename: str) -> bytes:
    """marshal.dumps(compile(source)) by CPython v."""
    prog = ("import marshal,sys\nsrc=sys.stdin.read()\n"
            "data=marshal.dumps(compile(src,%r,'exec'))\n"
            "getattr(sys.stdout,'buffer',sys.stdout).write(data)\n" % filename)
    r = subprocess.run([pyenv_python(v), "-c", prog], input=source.encode(), capture_output=True, check=True)
    return r.stdout


def fixture(v: str, name: str) -> tuple[bytes, bytes]:
    """(magic, marshal data) of a committed fixture pyc."""
    data = (FIX / v / f"{name}.pyc").read_bytes()
    return data[:4], data[HEADER_LEN[v]:]


def pyc(magic: bytes, v: str, body: bytes) -> bytes:
    return magic + bytes(HEADER_LEN[v] - 4) + body


# --- marshal writing for PYZ TOCs (the small subset PyInstaller's TOCs use) ---

def m_int(n: int) -> bytes:
    return b"i" + struct.pack("<i", n)


def m_str3(s: str) -> bytes:
    b = s.encode()
    return (b"z" + bytes([len(b)]) + b) if len(b) < 256 and s.isascii() else (b"u" + struct.pack("<I", len(b)) + b)


def m_str2(s: str) -> bytes:
    b = s.encode()
    return b"t" + struct.pack("<I", len(b)) + b


def toc_list3(items) -> bytes:
    out = b"[" + struct.pack("<I", len(items))
    for name, (typ, pos, ln) in items:
        out += b")\x02" + m_str3(name) + b")\x03" + m_int(typ) + m_int(pos) + m_int(ln)
    return out


def toc_list27(items) -> bytes:
    out = b"[" + struct.pack("<I", len(items))
    for name, (typ, pos, ln) in items:
        out += b"(" + struct.pack("<I", 2) + m_str2(name) + b"(" + struct.pack("<I", 3) + m_int(typ) + m_int(pos) + m_int(ln)
    return out


def toc_dict27(items) -> bytes:
    out = b"{"
    for name, (ispkg, pos, ln) in items:
        out += m_str2(name) + b"(" + struct.pack("<I", 3) + (b"T" if ispkg else b"F") + m_int(pos) + m_int(ln)
    return out + b"0"


# --- AES (PyInstaller 3.x: CFB-8; 4.x-5.x: CTR, 128-bit big-endian counter) ---

def encrypt(mode: str, key: bytes, iv: bytes, data: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    try:
        from cryptography.hazmat.decrepit.ciphers.modes import CFB8
    except ImportError:
        CFB8 = modes.CFB8
    m = modes.CTR(iv) if mode == "ctr" else CFB8(iv)
    e = Cipher(algorithms.AES(key), m).encryptor()
    return iv + e.update(data) + e.finalize()


def build_pyz(magic: bytes, modules, toc_writer, *, level9=False, cipher=None) -> tuple[bytes, dict]:
    """modules: [(name, typ, marshal bytes or None)]. Returns (pyz, {name: stored})."""
    body = b""
    toc = []
    for i, (name, typ, data) in enumerate(sorted(modules, key=lambda m: m[0])):
        pos = 17 + len(body)
        if data is None:
            toc.append((name, (typ, pos, 0)))
            continue
        blob = zlib.compress(data, 9 if level9 else 6)
        if cipher:
            mode, key = cipher
            blob = encrypt(mode, key, bytes([i + 1]) * 16, blob)
        body += blob
        toc.append((name, (typ, pos, len(blob))))
    toc_offset = 17 + len(body)
    flags = struct.pack("!i", 9) + b"\0" if level9 else (bytes([1 if cipher else 0]) + bytes(4))
    return b"PYZ\0" + magic + struct.pack("!i", toc_offset) + flags + body + toc_writer(toc), dict()


def build_pkg(entries, pyvers: int, libname: str | None) -> bytes:
    """entries: [(name, typecode, payload, compress)]. The package (data, TOC, cookie)."""
    data = b""
    toc = b""
    for name, tc, payload, compress in entries:
        stored = zlib.compress(payload, 9) if compress else payload
        off = len(data) if stored else 0
        data += stored
        nm = name.encode() + b"\0"
        entry_len = 18 + len(nm)
        entry_len += (16 - entry_len % 16) % 16
        nm = nm.ljust(entry_len - 18, b"\0")
        toc += struct.pack("!iiiiBc", entry_len, off, len(stored), len(payload), 1 if compress else 0, tc.encode()) + nm
    cookie_len = 88 if libname is not None else 24
    pkg_len = len(data) + len(toc) + cookie_len
    cookie = COOKIE_MAGIC + struct.pack("!iiii", pkg_len, len(data), len(toc), pyvers)
    if libname is not None:
        cookie += libname.encode().ljust(64, b"\0")
    return data + toc + cookie


def elf_with_section(prefix_body: bytes, pydata: bytes) -> bytes:
    """A minimal ELF64 (no program headers) with sections: null, .text, pydata, .shstrtab."""
    shstr = b"\0.text\0pydata\0.shstrtab\0"
    text_off = 64
    text = prefix_body
    pydata_off = text_off + len(text)
    shstr_off = pydata_off + len(pydata)
    sh_off = shstr_off + len(shstr)
    sh_off += (8 - sh_off % 8) % 8
    ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0, 0, sh_off, 0, 64, 56, 0, 64, 4, 3)

    def sh(name, typ, flags, off, size):
        return struct.pack("<IIQQQQIIQQ", name, typ, flags, 0, off, size, 0, 0, 1, 0)

    shdrs = sh(0, 0, 0, 0, 0) + sh(1, 1, 6, text_off, len(text)) + sh(7, 1, 0, pydata_off, len(pydata)) + \
        sh(14, 3, 0, shstr_off, len(shstr))
    body = ehdr + text + pydata + shstr
    return body + bytes(sh_off - len(body)) + shdrs


def pe_with_resource(type_name: str, res_id: int, payload: bytes, extra: bytes) -> bytes:
    """A minimal PE32+ image: headers, one .rsrc section holding a resource
    directory with one string-named type, one id and one language; `extra`
    (e.g. the python DLL's name, as a stub's import table holds it) follows
    the payload."""
    rva = 0x1000
    name16 = type_name.encode("utf-16-le")
    # Layout inside .rsrc: root dir (16+8), type dir (16+8), lang dir (16+8),
    # data entry (16), name string, payload.
    root, typ, lang, entry = 0, 24, 48, 72
    name_at = 88
    data_at = name_at + 2 + len(name16)
    data_at += (8 - data_at % 8) % 8
    rsrc = bytearray(data_at)
    struct.pack_into("<IIHHHH", rsrc, root, 0, 0, 0, 0, 1, 0)
    struct.pack_into("<II", rsrc, root + 16, 0x80000000 | name_at, 0x80000000 | typ)
    struct.pack_into("<IIHHHH", rsrc, typ, 0, 0, 0, 0, 0, 1)
    struct.pack_into("<II", rsrc, typ + 16, res_id, 0x80000000 | lang)
    struct.pack_into("<IIHHHH", rsrc, lang, 0, 0, 0, 0, 0, 1)
    struct.pack_into("<II", rsrc, lang + 16, 0x409, entry)
    struct.pack_into("<IIII", rsrc, entry, rva + data_at, len(payload), 0, 0)
    struct.pack_into("<H", rsrc, name_at, len(type_name))
    rsrc[name_at + 2:name_at + 2 + len(name16)] = name16
    rsrc += payload + extra
    rsrc += bytes((512 - len(rsrc) % 512) % 512)
    raw_at = 0x200
    dos = b"MZ" + bytes(58) + struct.pack("<I", 0x40)
    coff = b"PE\0\0" + struct.pack("<HHIIIHH", 0x8664, 1, 0, 0, 0, 240, 0x22)
    opt = struct.pack("<HBBIIIII", 0x20B, 14, 0, 0, len(rsrc), 0, 0, rva)
    opt += struct.pack("<QIIHHHHHHIIIIHHQQQQII", 0x140000000, 0x1000, 0x200, 6, 0, 0, 0, 6, 0, 0,
                       rva + len(rsrc), 0x200, 0, 3, 0, 0x100000, 0x1000, 0x100000, 0x1000, 0, 16)
    dirs = bytearray(128)
    struct.pack_into("<II", dirs, 2 * 8, rva, len(rsrc))
    opt += bytes(dirs)
    section = b".rsrc\0\0\0" + struct.pack("<IIIIIIHHI", len(rsrc), rva, len(rsrc), raw_at, 0, 0, 0, 0, 0x40000040)
    head = dos + coff + opt + section
    return head + bytes(raw_at - len(head)) + bytes(rsrc)


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def base_library(magic: bytes, v: str, body: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        zi = zipfile.ZipInfo("encodings/__init__.pyc", date_time=(1980, 1, 1, 0, 0, 0))
        z.writestr(zi, pyc(magic, v, body))
    return buf.getvalue()


def main() -> int:
    check = "--check" in sys.argv
    files: dict[str, bytes] = {}
    expected: dict[str, dict] = {}

    def expect(name, target_magic, version, entries):
        expected[name] = {"magic": target_magic.hex(), "version": version, "entries": entries}

    # ---------------- PyInstaller 6.x, Python 3.12, in an ELF ----------------
    v = "3.12"
    magic, hello = fixture(v, "imports")
    _, classes = fixture(v, "walrus")
    _, closures = fixture(v, "slices")
    _, args = fixture(v, "with_stmts")
    _, boot = fixture(v, "frozensets")
    mods = [("mymod", 0, classes), ("mypkg", 1, closures), ("mypkg.inner", 0, args), ("nspkg", 3, None)]
    pyz, _ = build_pyz(magic, mods, toc_list3)
    binary = b"\x7fELF fake shared library " * 4
    entries = [
        ("struct", "m", boot, True),
        ("pyimod01_archive", "m", args, True),
        ("pyiboot01_bootstrap", "s", closures, True),
        ("hello", "s", hello, False),
        ("pyi-contents-directory _internal", "o", b"", False),
        ("O", "o", b"", False),
        ("O", "o", b"", False),
        ("PYZ.pyz", "z", pyz, False),
        ("base_library.zip", "x", base_library(magic, v, args), True),
        ("libfake.so", "b", binary, True),
    ]
    pkg = build_pkg(entries, 312, "libpython3.12.so.1.0")
    bootloader = b"\x90" * 200 + COOKIE_MAGIC + b"\x00" * 80 + b"bootloader code" * 8
    files["pi6_py312.elf"] = elf_with_section(bootloader, pkg)
    exp = [
        {"name": "struct", "kind": "bootstrap", "path": "struct.pyc", "sha256": sha(pyc(magic, v, boot))},
        {"name": "pyimod01_archive", "kind": "bootstrap", "path": "pyimod01_archive.pyc", "sha256": sha(pyc(magic, v, args))},
        {"name": "pyiboot01_bootstrap", "kind": "script", "path": "pyiboot01_bootstrap.pyc", "sha256": sha(pyc(magic, v, closures))},
        {"name": "hello", "kind": "script", "path": "hello.pyc", "sha256": sha(pyc(magic, v, hello))},
        {"name": "pyi-contents-directory _internal", "kind": "option", "path": None, "sha256": None},
        {"name": "O", "kind": "option", "path": None, "sha256": None},
        {"name": "O", "kind": "option", "path": None, "sha256": None},
        {"name": "PYZ.pyz", "kind": "pyz", "path": "PYZ.pyz", "sha256": sha(pyz)},
        {"name": "mymod", "kind": "module", "path": "PYZ.pyz_extracted/mymod.pyc", "sha256": sha(pyc(magic, v, classes))},
        {"name": "mypkg", "kind": "package", "path": "PYZ.pyz_extracted/mypkg/__init__.pyc", "sha256": sha(pyc(magic, v, closures))},
        {"name": "mypkg.inner", "kind": "module", "path": "PYZ.pyz_extracted/mypkg/inner.pyc", "sha256": sha(pyc(magic, v, args))},
        {"name": "nspkg", "kind": "namespace-package", "path": None, "sha256": None},
        {"name": "base_library.zip", "kind": "zip", "path": "base_library.zip", "sha256": sha(entries[8][2])},
        {"name": "libfake.so", "kind": "binary", "path": "libfake.so", "sha256": sha(binary)},
    ]
    expect("pi6_py312.elf", magic, v, exp)
    custom = bytearray(files["pi6_py312.elf"])
    at = bytes(custom).rfind(COOKIE_MAGIC)
    custom[at:at + 3] = b"AAA"
    files["pi6_py312_custom.elf"] = bytes(custom)
    expect("pi6_py312_custom.elf", magic, v, exp)
    # The same package as a PE overlay, with a modified magic: found through
    # the PE section table.
    pe_pkg = bytearray(pkg)
    pe_pkg[-88:-85] = b"AAA"
    files["pi6_py312_custom.exe"] = pe_with_resource("VERSIONINFO", 1, b"stub", b"") + bytes(pe_pkg)
    expect("pi6_py312_custom.exe", magic, v, exp)

    # ---------------- PyInstaller 5.x / 4.x, Python 3.8, AES-CTR ----------------
    v = "3.8"
    magic, hello = fixture(v, "imports")
    _, classes = fixture(v, "walrus")
    _, args = fixture(v, "with_stmts")
    keymod = compile_with(v, "key = '0000000secretkey'\n", "pyimod00_crypto_key.py")
    key = b"0000000secretkey"
    data_file = b"pkg_resources zipped data\n"
    for name, pyvers, full_m in (("pi5_py38_ctr.bin", 308, False), ("pi4_py38_ctr.bin", 38, True)):
        empty_ns = compile_with(v, "", "-")
        mods = [("mymod", 0, classes), ("nspkg", 3, empty_ns), ("mypkg.data", 2, data_file)]
        pyz, _ = build_pyz(magic, mods, toc_list3, cipher=("ctr", key))

        def m_payload(body):
            return magic + b"pyi0" + bytes(8) + body if full_m else body
        entries = [
            ("pyimod00_crypto_key", "m", m_payload(keymod), True),
            ("struct", "m", m_payload(args), True),
            ("hello", "s", hello, True),
            ("PYZ-00.pyz", "z", pyz, False),
        ]
        pkg = build_pkg(entries, pyvers, "libpython3.8.so.1.0")
        junk = bytes((i * 37) & 0xff for i in range(4096)) if not full_m else b""
        files[name] = b"\x00" * 64 + pkg + junk
        expect(name, magic, v, [
            {"name": "pyimod00_crypto_key", "kind": "bootstrap", "path": "pyimod00_crypto_key.pyc",
             "sha256": sha(pyc(magic, v, keymod))},
            {"name": "struct", "kind": "bootstrap", "path": "struct.pyc",
             "sha256": sha(pyc(magic, v, args))},
            {"name": "hello", "kind": "script", "path": "hello.pyc", "sha256": sha(pyc(magic, v, hello))},
            {"name": "PYZ-00.pyz", "kind": "pyz", "path": "PYZ-00.pyz", "sha256": sha(pyz)},
            {"name": "mymod", "kind": "module", "path": "PYZ-00.pyz_extracted/mymod.pyc", "sha256": sha(pyc(magic, v, classes))},
            {"name": "mypkg.data", "kind": "data", "path": "PYZ-00.pyz_extracted/mypkg.data", "sha256": sha(data_file)},
            {"name": "nspkg", "kind": "namespace-package", "path": "PYZ-00.pyz_extracted/nspkg/__init__.pyc",
             "sha256": sha(pyc(magic, v, empty_ns))},
        ])

    # ---------------- PyInstaller 3.x, Python 3.7, AES-CFB8 ----------------
    v = "3.7"
    magic, hello = fixture(v, "imports")
    _, classes = fixture(v, "with_stmts")
    keymod = compile_with(v, "key = 'k3y'\n", "pyimod00_crypto_key.py")
    key = b"0000000000000k3y"
    mods = [("mymod", 0, classes), ("nspkg", 1, compile_with(v, "", "-"))]
    pyz, _ = build_pyz(magic, mods, toc_list3, cipher=("cfb8", key))
    entries = [
        ("pyimod00_crypto_key", "m", magic + b"pyi0" + bytes(8) + keymod, True),
        ("hello", "s", hello, True),
        ("PYZ-00.pyz", "z", pyz, False),
    ]
    files["pi3_py37_cfb8.bin"] = build_pkg(entries, 37, "libpython3.7m.so.1.0")
    expect("pi3_py37_cfb8.bin", magic, v, [
        {"name": "pyimod00_crypto_key", "kind": "bootstrap", "path": "pyimod00_crypto_key.pyc",
         "sha256": sha(pyc(magic, v, keymod))},
        {"name": "hello", "kind": "script", "path": "hello.pyc", "sha256": sha(pyc(magic, v, hello))},
        {"name": "PYZ-00.pyz", "kind": "pyz", "path": "PYZ-00.pyz", "sha256": sha(pyz)},
        {"name": "mymod", "kind": "module", "path": "PYZ-00.pyz_extracted/mymod.pyc", "sha256": sha(pyc(magic, v, classes))},
        {"name": "nspkg", "kind": "package", "path": "PYZ-00.pyz_extracted/nspkg/__init__.pyc",
         "sha256": sha(pyc(magic, v, mods[1][2]))},
    ])

    # ---------------- PyInstaller 2.1 and 2.0, Python 2.7 ----------------
    v = "2.7"
    magic, classes = fixture(v, "py2_classes")
    src = b"import mymod\nprint mymod.__name__\n"
    for name, libname in (("pi21_py27.bin", "libpython2.7.so.1.0"), ("pi20_py27.bin", None)):
        pyz, _ = build_pyz(magic, [("mymod", False, classes), ("mypkg", True, classes)], toc_dict27, level9=True)
        entries = [
            ("out00-PYZ.pyz", "z", pyz, False),
            ("struct", "m", magic + b"\x01\x02\x03\x04" + classes, True),
            ("hello", "s", src + b"\n\0", True),
        ]
        files[name] = b"\x7fELF" + bytes(60) + build_pkg(entries, 27, libname)
        pyz_name = entries[0][0]
        expect(name, magic, v, [
            {"name": pyz_name, "kind": "pyz", "path": pyz_name, "sha256": sha(pyz)},
            {"name": "mymod", "kind": "module", "path": f"{pyz_name}_extracted/mymod.pyc", "sha256": sha(pyc(magic, v, classes))},
            {"name": "mypkg", "kind": "package", "path": f"{pyz_name}_extracted/mypkg/__init__.pyc",
             "sha256": sha(pyc(magic, v, classes))},
            {"name": "struct", "kind": "bootstrap", "path": "struct.pyc", "sha256": sha(pyc(magic, v, classes))},
            {"name": "hello", "kind": "script-source", "path": "hello.py", "sha256": sha(src + b"\n")},
        ])

    # ---------------- cx_Freeze library.zip ----------------
    v = "3.12"
    magic, hello = fixture(v, "imports")
    _, classes = fixture(v, "walrus")
    buf = io.BytesIO()
    members = [("__main__hello.pyc", hello), ("BUILD_CONSTANTS.pyc", classes), ("mypkg/__init__.pyc", classes)]
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, body in members:
            z.writestr(zipfile.ZipInfo(n, date_time=(2024, 1, 1, 0, 0, 0)), pyc(magic, v, body), zipfile.ZIP_DEFLATED)
    files["cxfreeze_py312.zip"] = buf.getvalue()
    expect("cxfreeze_py312.zip", magic, v, [
        {"name": "__main__hello.pyc", "kind": "script", "path": "__main__hello.pyc", "sha256": sha(pyc(magic, v, hello))},
        {"name": "BUILD_CONSTANTS.pyc", "kind": "module", "path": "BUILD_CONSTANTS.pyc", "sha256": sha(pyc(magic, v, classes))},
        {"name": "mypkg/__init__.pyc", "kind": "package", "path": "mypkg/__init__.pyc", "sha256": sha(pyc(magic, v, classes))},
    ])

    # ---------------- py2exe: the PYTHONSCRIPT resource ----------------
    v = "3.12"
    magic, _ = fixture(v, "imports")
    prog = ("import marshal,sys\n"
            "a=compile('import sys\\nX = 1\\n','<bootstrap2>','exec')\n"
            "b=compile('import sys\\nprint(sys.argv, X)\\n','hello.py','exec')\n"
            "sys.stdout.buffer.write(marshal.dumps([a,b]))\n")
    codes = subprocess.run([pyenv_python(v), "-c", prog], capture_output=True, check=True).stdout
    split = subprocess.run([pyenv_python(v), "-c",
                            "import marshal,sys\nfor c in marshal.loads(sys.stdin.buffer.read()):\n"
                            "    sys.stdout.buffer.write(marshal.dumps(c).hex().encode()+b'\\n')\n"],
                           input=codes, capture_output=True, check=True).stdout.split()
    res = struct.pack("<IIII", 0x78563412, 0, 0, len(codes)) + b"library.zip\0" + codes + b"\0"
    files["py2exe_py312.exe"] = pe_with_resource("PYTHONSCRIPT", 1, res, b"\0python312.dll\0")
    # Each script, cut out of the list, must unmarshal to what the list held:
    # the expectation is checked by unmarshalling (marshal.dumps of a lone
    # code object numbers its references differently).
    expected["py2exe_py312.exe"] = {"magic": magic.hex(), "version": v, "entries": [
        {"name": "<bootstrap2>", "kind": "script", "path": "PYTHONSCRIPT/00-_bootstrap2_.pyc", "sha256": None,
         "marshal_equal": split[0].decode()},
        {"name": "hello.py", "kind": "script", "path": "PYTHONSCRIPT/01-hello.py.pyc", "sha256": None,
         "marshal_equal": split[1].decode()},
    ]}

    # ---------------- Nuitka ----------------
    files["nuitka.bin"] = b"\x7fELF" + bytes(60) + b"onefile bootstrap\0NUITKA_ONEFILE_PARENT\0" + bytes(64)
    expected["nuitka.bin"] = {"error": "Nuitka"}

    blobs = {n: b for n, b in files.items()}
    blobs["expected.json"] = (json.dumps(expected, indent=1, sort_keys=True) + "\n").encode()
    stale = [n for n, b in blobs.items() if not (OUT / n).exists() or (OUT / n).read_bytes() != b]
    if check:
        if stale:
            print("out of date:", ", ".join(stale))
            return 1
        print("up to date")
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    for n, b in blobs.items():
        (OUT / n).write_bytes(b)
    print(f"wrote {len(blobs)} files to {OUT.relative_to(ROOT)} ({sum(len(b) for b in blobs.values())} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
