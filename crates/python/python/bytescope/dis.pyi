import types
from collections.abc import Iterator
from typing import IO, Any, NamedTuple, Union

from . import Code, Pyc

_X = Union[Code, Pyc, str, bytes, Any]

class Positions(NamedTuple):
    lineno: Union[int, None] = None
    end_lineno: Union[int, None] = None
    col_offset: Union[int, None] = None
    end_col_offset: Union[int, None] = None

class Instruction(tuple[Any, ...]):
    """That version's dis.Instruction: fields and properties depend on the code's version."""

    opname: str
    opcode: int
    arg: Union[int, None]
    argval: Any
    argrepr: str
    offset: int
    starts_line: Any
    is_jump_target: bool
    positions: Union[Positions, None]
    start_offset: int
    line_number: Union[int, None]
    label: Union[int, None]
    cache_info: Union[list[tuple[str, int, bytes]], None]
    oparg: Union[int, None]
    baseopcode: int
    baseopname: str
    cache_offset: int
    end_offset: int
    jump_target: Union[int, None]
    _fields: tuple[str, ...]
    def _asdict(self) -> dict[str, Any]: ...

class ExceptionTableEntry(NamedTuple):
    start: int
    end: int
    target: int
    depth: int
    lasti: bool

UNKNOWN: Any
opname: list[str]
opmap: dict[str, int]
cmp_op: tuple[str, ...]
HAVE_ARGUMENT: int
EXTENDED_ARG: int
COMPILER_FLAG_NAMES: dict[int, str]
hasconst: list[int]
hasname: list[int]
hasjrel: list[int]
hasjabs: list[int]
haslocal: list[int]
hascompare: list[int]
hasfree: list[int]

def pretty_flags(flags: int) -> str: ...
def opcodes(version: Union[tuple[int, int], str, None] = None) -> types.SimpleNamespace: ...
def main(args: Union[list[str], None] = None) -> None: ...
def dis(
    x: Any = None,
    *,
    file: Union[IO[str], None] = None,
    depth: Union[int, None] = ...,
    show_caches: bool = ...,
    adaptive: bool = ...,
    show_offsets: bool = ...,
    show_positions: bool = ...,
) -> None: ...
def disassemble(
    co: _X,
    lasti: int = -1,
    *,
    file: Union[IO[str], None] = None,
    show_caches: bool = ...,
    adaptive: bool = ...,
    show_offsets: bool = ...,
    show_positions: bool = ...,
) -> None: ...
disco = disassemble
def distb(tb: Any = None, *, file: Union[IO[str], None] = None, **kwargs: Any) -> None: ...
def code_info(x: _X) -> str: ...
def show_code(co: _X, *, file: Union[IO[str], None] = None) -> None: ...
def get_instructions(
    x: _X, *, first_line: Union[int, None] = None, show_caches: Union[bool, None] = ..., adaptive: bool = ...
) -> Iterator[Instruction]: ...
def findlinestarts(code: _X) -> Iterator[tuple[int, Union[int, None]]]: ...
def findlabels(code: Union[_X, bytes]) -> list[int]: ...
def _find_imports(co: _X) -> Iterator[tuple[str, int, Any]]: ...
def _find_store_names(co: _X) -> Iterator[str]: ...

_OPNAME_WIDTH: int
_OPARG_WIDTH: int
_all_opname: list[str]
_all_opmap: dict[str, int]
def stack_effect(
    opcode: int, oparg: Union[int, None] = None, /, *, jump: Union[bool, None] = None, version: Any = None
) -> int: ...

class Bytecode:
    codeobj: Union[Code, types.CodeType]
    first_line: int
    current_offset: Union[int, None]
    exception_entries: list[ExceptionTableEntry]
    show_caches: bool
    adaptive: bool
    show_offsets: bool
    show_positions: bool
    def __init__(
        self,
        x: _X,
        *,
        first_line: Union[int, None] = None,
        current_offset: Union[int, None] = None,
        show_caches: bool = ...,
        adaptive: bool = ...,
        show_offsets: bool = ...,
        show_positions: bool = ...,
    ) -> None: ...
    def __iter__(self) -> Iterator[Instruction]: ...
    @classmethod
    def from_traceback(cls, tb: types.TracebackType, **kwargs: Any) -> Bytecode: ...
    def info(self) -> str: ...
    def dis(self) -> str:
        """The listing; line numbers start at ``first_line``, ``current_offset`` is marked ``-->``."""
        ...
