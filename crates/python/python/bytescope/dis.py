"""A drop-in for the standard library's ``dis`` that works in the code's own version.

Every function takes ``x`` as a :class:`bytescope.Code`, a :class:`bytescope.Pyc`, a path to a
``.pyc`` (``str`` or ``os.PathLike``), the bytes of one, or a live host function, method,
generator, coroutine, class, module or code object (read in the host's own version through
``marshal.dumps``). The output is what that version's ``dis`` gives: ``dis()`` prints its
text byte for byte, ``get_instructions()`` yields instructions with exactly that version's
``dis.Instruction`` fields, behaving as its named tuple (but not ``tuple`` subclasses: they are
made lazily, each field computed when read). The one difference: where CPython shows a code
object's memory address, bytescope shows its byte offset in the file
(``<code object f at 0x1ba, ...>``).

Options a version's ``dis`` does not have (``show_caches`` before 3.11, ``show_offsets``
before 3.13, ``show_positions`` before 3.14, ``depth`` before 3.7) raise the ``TypeError``
that version's ``dis`` raises. Code of 2.7 and 3.0-3.3, whose ``dis`` had no instruction
API, is served with the 3.4 one.

A ``str`` naming an existing file is a path; any other ``str`` is source code, compiled by the
host as the standard library compiles it, and bytes that are not a ``.pyc`` are raw host
bytecode. The module-level tables (``opname``, ``opmap``, ``hasjrel``...) are the host's;
``opcodes(version)`` gives any version's.
"""

import collections
import collections.abc
import dis as _std
import math
import os
import sys
import types

from . import _native, _opcodes
from ._native import Code, Pyc
from ._types import UNKNOWN, ExceptionTableEntry, Positions

__all__ = [
    "code_info", "dis", "disassemble", "distb", "disco", "findlinestarts", "findlabels",
    "show_code", "get_instructions", "Instruction", "Bytecode", "Positions", "stack_effect",
    "opcodes", "UNKNOWN", "ExceptionTableEntry", "pretty_flags",
]

_HOST = tuple(sys.version_info[:2])
_UNSET = object()

# First version of each keyword argument, per function (as CPython's dis grew them).
_SINCE = {
    "depth": (3, 7),
    "show_caches": (3, 11),
    "adaptive": (3, 11),
    "show_offsets": (3, 13),
    "show_positions": (3, 14),
}


def _version_key(version):
    if version is None:
        return _HOST
    if isinstance(version, str):
        parts = version.strip().split(".")
        try:
            version = (int(parts[0]), int(parts[1]))
        except (ValueError, IndexError):
            raise ValueError(f"unknown Python version {version!r}: expected MAJOR.MINOR") from None
    version = tuple(version[:2])
    if version not in _opcodes.TABLES:
        raise ValueError(f"unknown Python version {version!r}: bytescope knows 2.7 and 3.0-3.15")
    return version


class _Opcodes(types.SimpleNamespace):
    """One version's opcode tables, named as that version's ``opcode`` and ``dis``
    modules name them."""

    def __repr__(self):
        return f"<bytescope.dis.opcodes {self.version[0]}.{self.version[1]}>"


_OPCODES = {}


def opcodes(version=None):
    """The opcode tables of ``version`` (``(3, 12)``, ``"3.12"``; default: the host's):
    ``opname``, ``opmap``, ``cmp_op``, ``HAVE_ARGUMENT``, ``EXTENDED_ARG``, the ``has*``
    lists the version has (``hasarg``, ``hasconst``, ``hasname``, ``hasjrel``, ``hasjabs``,
    ``hasjump``, ``haslocal``, ``hascompare``, ``hasfree``, ``hasnargs``, ``hasexc``),
    ``COMPILER_FLAG_NAMES``, and from 3.11 ``_inline_cache_entries``, ``_cache_format``,
    ``_specializations``, ``_nb_ops`` and the intrinsic descriptions."""
    version = _version_key(version)
    if version in _OPCODES:
        return _OPCODES[version]
    t = _opcodes.TABLES[version]
    ns = _Opcodes(version=version, source=t["source"])
    ns.opmap = _module_order(version, t["opmap"])
    ns.opname = list(t["opcode_opname"])
    top = max(ns.opmap.values(), default=0)
    if top >= len(ns.opname):
        # 3.12+: opname also names the pseudo-opcodes (256 and up), as opmap does.
        names = {op: name for name, op in ns.opmap.items()}
        ns.opname += [names.get(op, "<%r>" % (op,)) for op in range(len(ns.opname), top + 1)]
    ns.cmp_op = tuple(t["cmp_op"])
    ns.HAVE_ARGUMENT = t["have_argument"]
    ns.EXTENDED_ARG = t["extended_arg"]
    for name in ("hasarg", "hasconst", "hasname", "hasjrel", "hasjabs", "hasjump", "haslocal",
                 "hascompare", "hasfree", "hasnargs", "hasexc"):
        if name in t:
            ops = list(t[name])
            if name == "hasarg" and version >= (3, 13):
                # Built as [op for op in opmap.values() if has_arg(op)]: in opmap's order.
                members = set(ops)
                ops = [op for op in ns.opmap.values() if op in members]
            setattr(ns, name, ops)
    ns.COMPILER_FLAG_NAMES = {bit: name for bit, name in t["compiler_flag_names"]}
    if t.get("min_instrumented_opcode") is not None:
        ns.MIN_INSTRUMENTED_OPCODE = t["min_instrumented_opcode"]
    if version >= (3, 11):
        ns._inline_cache_entries = dict(t.get("inline_cache_entries", {}))
        ns._cache_format = {name: dict(fields) for name, fields in t.get("cache_format", [])}
        ns._specializations = {k: list(v) for k, v in t.get("specializations", {}).items()}
        ns._specialized_opmap = dict(t.get("specialized_opmap", {}))
        ns._nb_ops = [tuple(x) for x in t.get("nb_ops", [])]
    if version >= (3, 12):
        ns._intrinsic_1_descs = list(t.get("intrinsic_1_descs", []))
        ns._intrinsic_2_descs = list(t.get("intrinsic_2_descs", []))
    if version >= (3, 11):
        deopt = {}
        for base, specs in ns._specializations.items():
            for spec in specs:
                op = ns._specialized_opmap.get(spec, ns.opmap.get(spec))
                if op is not None and base in ns.opmap:
                    deopt[op] = ns.opmap[base]
        ns.deoptmap = deopt
    if version >= (3, 14):
        ns._special_method_names = list(t.get("special_method_names", []))
        ns._common_constants = list(t.get("common_constants", []))
    if t.get("function_flags"):
        ns.FUNCTION_ATTR_FLAGS = list(t["function_flags"])
    _OPCODES[version] = ns
    return ns


# The opcodes each version's opmap lists first, before the rest in numeric order (3.13+: the
# generated _opcode_metadata's fixed-number opcodes).
_OPMAP_HEADS = {
    (3, 13): ("CACHE", "RESERVED", "RESUME", "INSTRUMENTED_LINE"),
    (3, 14): ("CACHE", "RESERVED", "RESUME", "INSTRUMENTED_LINE", "ENTER_EXECUTOR"),
    (3, 15): ("CACHE", "RESERVED", "RESUME", "INSTRUMENTED_LINE", "ENTER_EXECUTOR", "TRACE_RECORD"),
}


def _module_order(version, opmap):
    """``opmap`` (numeric order) in the order the version's ``opcode.opmap`` has its
    entries: 3.6-3.9 define EXTENDED_ARG (144) after LOAD_CLASSDEREF (148); 3.13+ list
    their fixed-number opcodes first."""
    items = sorted(opmap.items(), key=lambda kv: kv[1])
    if (3, 6) <= version <= (3, 9) and "EXTENDED_ARG" in opmap and "LOAD_CLASSDEREF" in opmap:
        items.remove(("EXTENDED_ARG", opmap["EXTENDED_ARG"]))
        at = items.index(("LOAD_CLASSDEREF", opmap["LOAD_CLASSDEREF"])) + 1
        items.insert(at, ("EXTENDED_ARG", opmap["EXTENDED_ARG"]))
    heads = [name for name in _OPMAP_HEADS.get(version, ()) if name in opmap]
    if heads:
        items = [(n, opmap[n]) for n in heads] + [kv for kv in items if kv[0] not in heads]
    return dict(items)


# dis._is_backward_jump: relative jumps whose argument counts backwards (3.14 adds END_ASYNC_FOR,
# "not really a jump, but it has a target").
BACKWARD_JUMPS_313 = ("JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT")
BACKWARD_JUMPS_314 = BACKWARD_JUMPS_313 + ("END_ASYNC_FOR",)


def _instruction_class(version):
    """``dis.Instruction`` of ``version``: a class with that version's fields, behaving as its
    named tuple does (see the module docs)."""
    return _native.instruction_class(tuple(version[:2]))


for _v in ((3, 4), (3, 11), (3, 13), (3, 14), (3, 15)):
    # Instructions are sequences (not tuple subclasses: see the module docs).
    collections.abc.Sequence.register(_instruction_class(_v))
del _v

_DERIVED = {}


def _derived_functions(version):
    """3.13+'s derived ``Instruction`` properties for ``version``, from its tables."""
    try:
        return _DERIVED[version]
    except KeyError:
        pass
    tables = opcodes(version)
    deopt = tables.deoptmap
    caches = tables._inline_cache_entries
    jrel, jabs = set(tables.hasjrel), set(tables.hasjabs)
    backward = BACKWARD_JUMPS_314 if version >= (3, 14) else BACKWARD_JUMPS_313
    opname = tables.opname
    # Pseudo-opcodes (256+) are named through opmap.
    allnames = dict(enumerate(opname))
    allnames.update({v: k for k, v in tables.opmap.items() if v >= len(opname)})

    def jump_target(ins):
        deop = deopt.get(ins.opcode, ins.opcode)
        arg = ins.arg
        if deop in jrel:
            if opname[deop] in backward:
                arg = -arg
            return ins.offset + 2 + arg * 2 + 2 * caches.get(opname[deop], 0)
        if deop in jabs:
            return arg * 2
        return None

    def baseopname(ins):
        op = deopt.get(ins.opcode, ins.opcode)
        return allnames.get(op, "<%d>" % op)

    funcs = {
        "oparg": lambda ins: ins.arg,
        "baseopcode": lambda ins: deopt.get(ins.opcode, ins.opcode),
        "baseopname": baseopname,
        "cache_offset": lambda ins: ins.offset + 2,
        "end_offset": lambda ins: ins.offset + 2 + 2 * caches.get(opname[deopt.get(ins.opcode, ins.opcode)], 0),
        "jump_target": jump_target,
        "is_jump_target": lambda ins: ins.label is not None,
    }
    if version >= (3, 14):
        all_opmap = dict(tables.opmap)
        all_opmap.update(tables._specialized_opmap)
        funcs["_opmap"] = all_opmap
    _DERIVED[version] = funcs
    return funcs


def _instruction_property(version, name, ins):
    """A 3.13+ derived ``Instruction`` property (``jump_target``, ``baseopname``...)."""
    return _derived_functions(version)[name](ins)


def _instruction_make(version, cls, args, opname=None, arg=None, argval=None, argrepr=None, offset=None,
                      start_offset=None, starts_line=None, line_number=None, label=None, positions=None,
                      cache_info=None):
    """3.14's ``Instruction.make(opname, arg, argval, argrepr, offset, start_offset, starts_line,
    line_number, label=None, positions=None, cache_info=None)``."""
    names = ("opname", "arg", "argval", "argrepr", "offset", "start_offset", "starts_line", "line_number",
             "label", "positions", "cache_info")
    given = dict(zip(names, args))
    values = dict(opname=opname, arg=arg, argval=argval, argrepr=argrepr, offset=offset,
                  start_offset=start_offset, starts_line=starts_line, line_number=line_number, label=label,
                  positions=positions, cache_info=cache_info)
    values.update(given)
    opmap = _derived_functions(version)["_opmap"]
    return cls(values["opname"], opmap[values["opname"]], values["arg"], values["argval"], values["argrepr"],
               values["offset"], values["start_offset"], values["starts_line"], values["line_number"],
               values["label"], values["positions"], values["cache_info"])


def _make_instruction(version, values):
    """Unpickles an instruction of ``version``."""
    return _native.make_instruction(tuple(version), list(values))


Instruction = _instruction_class(_HOST if _HOST in _opcodes.TABLES else (3, 15))


def _host_code(co):
    # Through marshal.dumps, with its sets in the live order (see _native.host_code).
    return _native.host_code(co, _HOST)


def _get_code(x):
    """The :class:`bytescope.Code` that ``x`` stands for (``dis._get_code_object``)."""
    if isinstance(x, Code):
        return x
    if isinstance(x, Pyc):
        return x.code
    if isinstance(x, str) and not os.path.isfile(x):
        # Source code, as the standard library's dis takes it (compiled by the host).
        return _host_code(_compile_source(x))
    if isinstance(x, (str, bytes, bytearray, memoryview)) or hasattr(x, "__fspath__"):
        return _native.load(x).code
    if hasattr(x, "__func__"):
        x = x.__func__
    if hasattr(x, "__code__"):
        x = x.__code__
    elif hasattr(x, "gi_code"):
        x = x.gi_code
    elif hasattr(x, "ag_code"):
        x = x.ag_code
    elif hasattr(x, "cr_code"):
        x = x.cr_code
    if isinstance(x, types.CodeType):
        return _host_code(x)
    raise TypeError("don't know how to disassemble %s objects" % type(x).__name__)


def _looks_like_pyc(data):
    return len(data) >= 4 and data[2:4] == b"\r\n"


def _compile_source(source):
    """``dis._try_compile``: an expression if it is one, else statements."""
    try:
        return compile(source, "<dis>", "eval")
    except SyntaxError:
        return compile(source, "<dis>", "exec")


def pretty_flags(flags):
    """The host's ``dis.pretty_flags``: names of the code flags set in ``flags``."""
    return _std.pretty_flags(flags)


def _host_code_object(x):
    """The host code object a live object stands for, else None."""
    if isinstance(x, str) and not os.path.isfile(x):
        return _compile_source(x)
    if isinstance(x, (Code, Pyc, str, bytes, bytearray, memoryview)) or hasattr(x, "__fspath__"):
        return None
    x = getattr(x, "__func__", x)
    for attr in ("__code__", "gi_code", "ag_code", "cr_code"):
        if hasattr(x, attr):
            x = getattr(x, attr)
            break
    return x if isinstance(x, types.CodeType) else None


def _check(func, version, options, always=False):
    """Raises the TypeError ``version``'s ``dis`` raises for keyword arguments it lacks
    (``always``: for every one of ``options``)."""
    for name, value in options.items():
        if value is _UNSET:
            continue
        since = _SINCE.get(name)
        if always or (since is not None and version < since):
            qual = func if version >= (3, 10) or "." not in func else func.rsplit(".", 1)[1]
            raise TypeError(f"{qual}() got an unexpected keyword argument '{name}'")


def _value(v, default=False):
    return default if v is _UNSET else v


def _write(text, file):
    (sys.stdout if file is None else file).write(text)


def _listing(co, show_caches, show_offsets, show_positions, lasti=None, line_offset=0, adaptive=False):
    return _native.disassemble_text(co, bool(show_caches), bool(show_offsets), bool(show_positions),
                                    lasti, line_offset, bool(adaptive))


def _have_code(x):
    return isinstance(x, _std._have_code + (Code,))


def dis(x=None, *, file=None, depth=_UNSET, show_caches=_UNSET, adaptive=_UNSET, show_offsets=_UNSET,
        show_positions=_UNSET):
    """Disassemble ``x`` as its version's ``dis.dis`` does: a code object and (3.7+) every
    code object nested in it, ``depth`` levels deep (``None``: all). A live class or module
    is disassembled member by member; ``x=None`` disassembles the last traceback (host)."""
    opts = dict(depth=depth, show_caches=show_caches, adaptive=adaptive, show_offsets=show_offsets,
                show_positions=show_positions)
    if x is None:
        return distb(file=file)
    if hasattr(x, "__func__"):
        x = x.__func__
    if isinstance(x, (type, types.ModuleType)):
        for name, x1 in sorted(x.__dict__.items()):
            if _have_code(x1):
                _write("Disassembly of %s:\n" % name, file)
                try:
                    dis(x1, file=file, **opts)
                except TypeError as msg:
                    _write("Sorry: %s\n" % msg, file)
                _write("\n", file)
        return None
    if isinstance(x, (bytes, bytearray)) and not _looks_like_pyc(x):
        # Raw bytecode of the host's version, as the standard library's dis takes it.
        return _std.dis(x, file=file, **{k: v for k, v in opts.items() if v is not _UNSET})
    co = _get_code(x)
    _check("dis", co.version, opts)
    _recursive(co, file, None if depth is _UNSET else depth, _value(show_caches), _value(show_offsets),
               _value(show_positions), _value(adaptive))
    return None


def _recursive(co, file, depth, show_caches, show_offsets, show_positions, adaptive):
    """``dis._disassemble_recursive``: pre-order, each nested listing after a header."""
    if depth is not None:
        # CPython recurses while depth > 0: zero or less lists ``co`` alone, and more levels
        # than the code has (10**30 included) list everything.
        depth = 0 if depth <= 0 else min(math.ceil(depth), sys.maxsize)
    codes, note = _native.walk_noted(co, depth) if co.version >= (3, 7) else ([co], None)
    limit, written = _native.output_limit(co), 0
    for i, c in enumerate(codes):
        text = _listing(c, show_caches, show_offsets, show_positions, adaptive=adaptive)
        if i:
            text = "\nDisassembly of %r:\n" % (c,) + text
        written += len(text)
        if written > limit:
            raise _native.Error(
                f"{c.path}: output stopped at {limit} bytes, the budget for this input size: "
                "the file repeats large constants"
            )
        _write(text, file)
    if note:
        # Crafted sharing: everything was listed once, not at every place.
        raise _native.Error(f"{co.path}: {note}")


def disassemble(co, lasti=-1, *, file=None, show_caches=_UNSET, adaptive=_UNSET, show_offsets=_UNSET,
                show_positions=_UNSET):
    """Disassemble one code object, without the code objects nested in it; the instruction
    at offset ``lasti`` is marked ``-->`` (from 3.12, also for ``lasti`` in its caches)."""
    co = _get_code(co)
    _check("disassemble", co.version, dict(show_caches=show_caches, adaptive=adaptive,
                                           show_offsets=show_offsets, show_positions=show_positions))
    _write(_listing(co, _value(show_caches), _value(show_offsets), _value(show_positions),
                    None if lasti is None else _index(lasti), adaptive=_value(adaptive)), file)


disco = disassemble


def distb(tb=None, *, file=None, **kwargs):
    """The host's ``dis.distb``: disassembles a live traceback (of the host's own version)."""
    return _std.distb(tb, file=file, **kwargs)


def code_info(x):
    """Formatted details of the code object, as its version's ``dis.code_info`` gives them."""
    return _native.code_info_text(_get_code(x))


def show_code(co, *, file=None):
    """Print :func:`code_info` of ``co``."""
    print(code_info(co), file=file)


def _instructions(co, bytecode, show_caches, line_offset, adaptive=False):
    caches = bool(show_caches) and (3, 11) <= co.version < (3, 13)
    return _native.instructions(co, bytecode, caches, line_offset, bool(adaptive))


get_instructions = _native.get_instructions


def findlinestarts(code):
    """``(offset, line)`` for each offset that starts a line, as the version's
    ``dis.findlinestarts`` yields them (``line`` may be None from 3.13)."""
    return iter(_native.findlinestarts(_get_code(code)))


def findlabels(code):
    """The jump targets of ``code`` in the order their jumps appear. A ``bytes`` argument is
    raw bytecode of the host's version (passed to the host's ``dis.findlabels``)."""
    if isinstance(code, (bytes, bytearray)):
        return _std.findlabels(code)
    return _native.findlabels(_get_code(code))


# What may load IMPORT_NAME's two arguments (level, then fromlist) for dis._find_imports,
# beyond the version's hasconst: (since version, extra level opnames, extra fromlist opnames).
# Transcribed from each version's dis._find_imports (3.11+) and modulefinder.scan_opcodes.
_IMPORT_ARGUMENT_OPS = (
    ((3, 15), ("LOAD_SMALL_INT", "LOAD_COMMON_CONSTANT"), ("LOAD_COMMON_CONSTANT",)),
    ((3, 14), ("LOAD_SMALL_INT",), ()),
    ((0, 0), (), ()),
)


def _find_imports(co):
    """``(name, level, fromlist)`` of each import in ``co`` (not in nested code), as the
    version's ``dis._find_imports`` (3.11+) and ``modulefinder`` (every version) find them:
    an ``IMPORT_NAME`` whose two preceding instructions load constants. Before 2.5, whose
    ``IMPORT_NAME`` took only the fromlist, ``level`` is -1 (2.x's implicit relative import)."""
    co = _get_code(co)
    tables = opcodes(co.version)
    hasconst = {tables.opname[op] for op in tables.hasconst}
    _, level_extra, from_extra = next(r for r in _IMPORT_ARGUMENT_OPS if co.version >= r[0])
    level_ops, from_ops = hasconst | set(level_extra), hasconst | set(from_extra)
    window = (None, None)
    for ins in get_instructions(co):
        if ins.opname == "EXTENDED_ARG":
            continue
        level_ins, from_ins = window
        if ins.opname == "IMPORT_NAME":
            if co.version < (2, 5):
                if from_ins is not None and from_ins.opname in from_ops:
                    yield (ins.argval, -1, from_ins.argval)
            elif level_ins is not None and from_ins.opname in from_ops and level_ins.opname in level_ops:
                yield (ins.argval, level_ins.argval, from_ins.argval)
        window = (from_ins, ins)


def _find_store_names(co):
    """The names ``co`` (not nested code) stores with ``STORE_NAME`` or ``STORE_GLOBAL``, in
    order, as the version's ``dis._find_store_names`` (3.11+) and ``modulefinder`` give them."""
    for ins in get_instructions(_get_code(co)):
        if ins.opname in ("STORE_NAME", "STORE_GLOBAL"):
            yield ins.argval


# The listing's column widths (dis._OPNAME_WIDTH, dis._OPARG_WIDTH: the same in every version).
_OPNAME_WIDTH = 20
_OPARG_WIDTH = 5


def stack_effect(*args, jump=_UNSET, version=None, **kwargs):
    """stack_effect(opcode, oparg=None, /, *, jump=None, version=None)

    What ``version``'s ``dis.stack_effect(opcode, oparg, jump=jump)`` returns (default: the
    host's version): the net change of the stack depth, from bytescope's generated
    per-version stack-effect tables. ``jump=True`` is the effect when the jump is taken,
    ``False`` when not, ``None`` the larger of the two (before 3.7: what the compiler counted).

    As that version: ``opcode`` and ``oparg`` are positional-only; ``ValueError`` for
    unknown, specialised and instrumented opcodes, and (up to 3.12) for an ``oparg`` given
    to an opcode that takes none or missing for one that takes one; 3.4-3.7 take no keyword
    arguments (``jump`` is a ``TypeError``); the argument errors have the version's wording.
    ``dis.stack_effect`` first appeared in 3.4: older versions raise ``ValueError``."""
    v = _version_key(version)
    if v < (3, 4):
        raise ValueError(f"dis.stack_effect does not exist in Python {v[0]}.{v[1]} (it first appeared in 3.4)")
    _stack_effect_arguments(v, args, kwargs, jump is not _UNSET)
    jump = None if jump is _UNSET else jump
    opcode = _clinic_int(args[0], v)
    oparg = None if len(args) < 2 or args[1] is None else _clinic_int(args[1], v)
    if jump is not None and jump is not True and jump is not False:
        raise ValueError("stack_effect: jump must be False, True or None")
    if v < (3, 13):
        if opcode >= opcodes(v).HAVE_ARGUMENT:
            if oparg is None:
                raise ValueError("stack_effect: opcode requires oparg but oparg was not specified")
        elif oparg is not None:
            raise ValueError("stack_effect: opcode does not permit oparg but oparg was specified")
    effect = None
    if -(1 << 63) <= opcode < (1 << 63) and (oparg is None or -(1 << 63) <= oparg < (1 << 63)):
        effect = _native.stack_effect(v, opcode, oparg, jump)
    if effect is None:
        raise ValueError("invalid opcode or oparg")
    return effect


def _stack_effect_arguments(v, args, kwargs, jump_given):
    """The argument checks of ``v``'s ``stack_effect(opcode, oparg=None, /, *, jump=None)``
    (3.4-3.7: ``stack_effect(opcode, oparg=None, /)``), with its messages."""
    positional = "" if v < (3, 8) else "positional "
    if v < (3, 8) and (kwargs or jump_given):
        raise TypeError("stack_effect() takes no keyword arguments")
    if len(args) > 2:
        raise TypeError(f"stack_effect() takes at most 2 {positional}arguments ({len(args)} given)")
    if not args:
        raise TypeError(f"stack_effect() takes at least 1 {positional}argument (0 given)")
    if kwargs:
        name = next(iter(kwargs))
        if v < (3, 13):
            raise TypeError(f"'{name}' is an invalid keyword argument for stack_effect()")
        raise TypeError(f"stack_effect() got an unexpected keyword argument '{name}'")


def _clinic_int(x, v):
    """``x`` as an ``int`` argument of ``v``'s C functions (``__index__``; up to 3.9 with
    the older messages)."""
    if v < (3, 10) and not hasattr(type(x), "__index__"):
        if isinstance(x, float):
            raise TypeError("integer argument expected, got float")
        raise TypeError(f"an integer is required (got type {type(x).__name__})")
    return _index(x)


def _index(x):
    if isinstance(x, int):
        return int(x)
    try:
        return x.__index__()
    except AttributeError:
        raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer") from None


class Bytecode:
    """The bytecode of a code object of any version, as its version's ``dis.Bytecode``:
    iterating gives ``Instruction`` objects (exception handlers are jump targets, as in
    the listing), ``dis()`` the listing text, ``info()`` the :func:`code_info` text."""

    def __init__(self, x, *, first_line=None, current_offset=None, show_caches=_UNSET, adaptive=_UNSET,
                 show_offsets=_UNSET, show_positions=_UNSET, **unknown):
        host = _host_code_object(x)
        self._code = co = _host_code(host) if host is not None else _get_code(x)
        # A keyword no version has, worded as the code's version words it (before 3.10
        # without the class name).
        _check("Bytecode.__init__", co.version, {name: None for name in unknown}, always=True)
        # A live host object's codeobj is its own code object, as in the standard library.
        self.codeobj = host if host is not None else co
        _check("Bytecode.__init__", co.version, dict(show_caches=show_caches, adaptive=adaptive,
                                                      show_offsets=show_offsets, show_positions=show_positions))
        if first_line is None:
            self.first_line = co.co_firstlineno
            self._line_offset = 0
        else:
            self.first_line = first_line
            self._line_offset = first_line - co.co_firstlineno
        self._original_object = x
        self.current_offset = current_offset
        v = co.version
        if v >= (3, 11):
            self.exception_entries = co.exception_table
            self.show_caches = _value(show_caches)
            self.adaptive = _value(adaptive)
        if v >= (3, 13):
            self.show_offsets = _value(show_offsets)
        if v >= (3, 14):
            self.show_positions = _value(show_positions)

    def __iter__(self):
        return _instructions(self._code, True, getattr(self, "show_caches", False), self._line_offset,
                             getattr(self, "adaptive", False))

    def __repr__(self):
        return "{}({!r})".format(self.__class__.__name__, self._original_object)

    @classmethod
    def from_traceback(cls, tb, **kwargs):
        """A Bytecode of the innermost frame of a (host) traceback."""
        while tb.tb_next:
            tb = tb.tb_next
        return cls(tb.tb_frame.f_code, current_offset=tb.tb_lasti, **kwargs)

    def info(self):
        """Formatted details of the code object (:func:`code_info`)."""
        return code_info(self._code)

    def dis(self):
        """The listing of this code object, as a string: line numbers shifted to start at
        ``first_line``, the instruction at ``current_offset`` marked ``-->``."""
        lasti = None if self.current_offset is None else _index(self.current_offset)
        return _listing(self._code, getattr(self, "show_caches", False), getattr(self, "show_offsets", False),
                        getattr(self, "show_positions", False), lasti, self._line_offset,
                        getattr(self, "adaptive", False))


def _host_tables():
    key = _HOST if _HOST in _opcodes.TABLES else max(_opcodes.TABLES)
    return opcodes(key)


_t = _host_tables()
opname = _t.opname
opmap = _t.opmap
cmp_op = _t.cmp_op
HAVE_ARGUMENT = _t.HAVE_ARGUMENT
EXTENDED_ARG = _t.EXTENDED_ARG
COMPILER_FLAG_NAMES = _t.COMPILER_FLAG_NAMES
for _name in ("hasarg", "hasconst", "hasname", "hasjrel", "hasjabs", "hasjump", "haslocal", "hascompare",
              "hasfree", "hasnargs", "hasexc"):
    if hasattr(_t, _name):
        globals()[_name] = getattr(_t, _name)
        __all__.append(_name)
__all__ += ["opname", "opmap", "cmp_op", "HAVE_ARGUMENT", "EXTENDED_ARG", "COMPILER_FLAG_NAMES"]
if getattr(_t, "_specialized_opmap", None):
    # 3.11+: dis._all_opname and dis._all_opmap, the base and specialised opcodes together.
    _all_opname = list(opname)
    _all_opmap = dict(opmap)
    for _name, _op in _t._specialized_opmap.items():
        _all_opname[_op] = _name
        _all_opmap[_name] = _op
    del _op
del _t, _name


def main(args=None):
    """``python -m bytescope.dis [-C] [-O] [-P] [-S] [infile]``: the standard library's
    ``python -m dis`` (3.13+; 3.14's flags), for a ``.pyc`` of **any** version as well as for
    source. A ``.pyc`` (recognised by its header) is listed as its own version's ``dis`` lists
    it; anything else is source, compiled by the host as ``python -m dis`` compiles it.
    ``infile`` ``-`` (the default) is standard input. A flag the code's version does not have
    is an error, as is malformed input: one line on standard error, exit status 1."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m bytescope.dis",
        description="Disassemble a .pyc of any CPython version (2.7, 3.0-3.15) as that version's "
                    "dis does, or Python source as this interpreter compiles it.")
    parser.add_argument("-C", "--show-caches", action="store_true", help="show inline caches (3.11+)")
    parser.add_argument("-O", "--show-offsets", action="store_true", help="show instruction offsets (3.13+)")
    parser.add_argument("-P", "--show-positions", action="store_true", help="show instruction positions (3.14+)")
    parser.add_argument("-S", "--specialized", action="store_true", help="show specialized bytecode (3.11+)")
    parser.add_argument("infile", nargs="?", default="-",
                        help="a .pyc of any version, or Python source (default: standard input)")
    ns = parser.parse_args(args=args)
    flags = {"show_caches": ns.show_caches, "adaptive": ns.specialized, "show_offsets": ns.show_offsets,
             "show_positions": ns.show_positions}
    try:
        if ns.infile == "-":
            name, data = "<stdin>", _read_stdin()
        else:
            name, data = ns.infile, _native.read_file(ns.infile)
        if _looks_like_pyc(data):
            code = _native.load(data).code if ns.infile == "-" else _native.load(ns.infile).code
        else:
            code = compile(data, name, "exec")
        # Only the flags given, so that code of a version without them is listed.
        dis(code, **{k: True for k, v in flags.items() if v})
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader stopped (``| head``): not an error. Python would report the pipe again
        # when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (_native.Error, SyntaxError) as e:
        parser.exit(1, "%s: %s\n" % (parser.prog, e))  # these name the file already
    except (OSError, ValueError, TypeError) as e:
        parser.exit(1, "%s: %s: %s\n" % (parser.prog, ns.infile, e))


def _read_stdin():
    """Standard input, at most the batch layer's 256 MiB."""
    limit = 256 << 20
    data = sys.stdin.buffer.read(limit + 1)
    if len(data) > limit:
        raise ValueError("too large: over the limit of %d bytes" % limit)
    return data


if __name__ == "__main__":
    main()
