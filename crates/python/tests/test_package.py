"""Packaging: stubs cover the public API, py.typed ships, docstrings show in help(),
the generated opcode tables are fresh."""

import ast
import pathlib
import subprocess
import sys

import bytescope
import bytescope.dis
from conftest import REPO

PKG = pathlib.Path(bytescope.__file__).parent


def stub_names(name):
    tree = ast.parse((PKG / name).read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    return names


def test_stubs_cover_the_api():
    assert set(bytescope.__all__) <= stub_names("__init__.pyi")
    missing = {n for n in bytescope.dis.__all__ if not n.startswith("has")} - stub_names("dis.pyi")
    assert not missing
    assert (PKG / "py.typed").exists()


def test_help_shows_docstrings():
    import pydoc

    text = pydoc.render_doc(bytescope.Code, renderer=pydoc.plaintext)
    assert "co_consts" in text and "exception_table" in text
    assert "version" in pydoc.render_doc(bytescope.load, renderer=pydoc.plaintext)
    assert "drop-in" in pydoc.render_doc(bytescope.dis, renderer=pydoc.plaintext)


def test_generated_opcode_tables_are_fresh():
    r = subprocess.run([sys.executable, str(REPO / "tools" / "gen_python_opcodes.py"), "--check"])
    assert r.returncode == 0
