import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Union

from . import analysis as analysis
from . import dis as dis

_Source = Union[str, os.PathLike[str], bytes, bytearray, memoryview]
_Version = Union[tuple[int, int], str]

class Error(ValueError): ...

class ExceptionTableEntry(tuple[int, int, int, int, bool]):
    start: int
    end: int
    target: int
    depth: int
    lasti: bool

class Code:
    """A code object of any CPython version (attributes its version lacks raise AttributeError)."""

    co_argcount: int
    co_posonlyargcount: int
    co_kwonlyargcount: int
    co_nlocals: int
    co_stacksize: int
    co_flags: int
    co_code: bytes
    co_consts: tuple[Any, ...]
    co_names: tuple[str, ...]
    co_varnames: tuple[str, ...]
    co_cellvars: tuple[str, ...]
    co_freevars: tuple[str, ...]
    co_filename: str
    co_name: str
    co_qualname: str
    co_firstlineno: int
    co_lnotab: bytes
    co_linetable: bytes
    co_exceptiontable: bytes
    co_lines: Callable[[], Iterator[tuple[int, int, Union[int, None]]]]
    co_branches: Callable[[], Iterator[tuple[int, int, int]]]
    co_positions: Callable[
        [], Iterator[tuple[Union[int, None], Union[int, None], Union[int, None], Union[int, None]]]
    ]
    _co_code_adaptive: bytes
    """3.11+: the bytecode as the version's interpreter quickens a new code object (3.11: ``co_code``)."""
    def _varname_from_oparg(self, oparg: int) -> str:
        """3.11+: the name of locals-plus entry ``oparg`` (IndexError outside the table)."""
    @property
    def version(self) -> tuple[int, int]: ...
    @property
    def offset(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def exception_table(self) -> list[ExceptionTableEntry]: ...
    def walk(self, depth: Union[int, None] = None) -> list[Code]: ...
    def replace(
        self,
        *,
        co_argcount: int = ...,
        co_posonlyargcount: int = ...,
        co_kwonlyargcount: int = ...,
        co_nlocals: int = ...,
        co_stacksize: int = ...,
        co_flags: int = ...,
        co_firstlineno: int = ...,
        co_code: bytes = ...,
        co_consts: tuple[Any, ...] = ...,
        co_names: tuple[str, ...] = ...,
        co_varnames: tuple[str, ...] = ...,
        co_freevars: tuple[str, ...] = ...,
        co_cellvars: tuple[str, ...] = ...,
        co_filename: str = ...,
        co_name: str = ...,
        co_qualname: str = ...,
        co_lnotab: bytes = ...,
        co_linetable: bytes = ...,
        co_exceptiontable: bytes = ...,
    ) -> Code:
        """A copy with these fields changed, with the rules of the code's own version's
        ``code.replace()`` (keywords it lacks raise TypeError)."""
    def __replace__(self, **changes: Any) -> Code:
        """``copy.replace(code, **changes)``: the same as ``replace()`` (3.13+ code)."""

class Pyc:
    """A loaded .pyc: header fields and the module code object."""

    @property
    def version(self) -> tuple[int, int]: ...
    @property
    def version_detected(self) -> bool: ...
    @property
    def version_note(self) -> Union[str, None]: ...
    @property
    def magic(self) -> Union[int, None]: ...
    @property
    def flags(self) -> Union[int, None]: ...
    @property
    def mtime(self) -> Union[int, None]: ...
    @property
    def source_size(self) -> Union[int, None]: ...
    @property
    def source_hash(self) -> Union[bytes, None]: ...
    @property
    def header_size(self) -> int: ...
    @property
    def code(self) -> Code: ...
    @property
    def path(self) -> str: ...
    def to_bytes(self) -> bytes: ...
    def write(self, path: Union[str, os.PathLike[str]]) -> None: ...
    def replace(self, *, code: Union[Code, None] = None) -> Pyc:
        """The same header with ``code`` (of the same version) as the module code object."""

def load(source: _Source, *, version: Union[_Version, None] = None) -> Pyc: ...
def load_all(
    paths: Union[str, os.PathLike[str], Iterable[Union[str, os.PathLike[str]]]],
    *,
    jobs: Union[int, None] = None,
    version: Union[_Version, None] = None,
    onerror: Union[Callable[[Error], object], None] = None,
) -> Iterator[Pyc]: ...
def loads(data: Union[bytes, bytearray, memoryview], version: _Version) -> Any: ...
def dumps(x: Any, version: Union[_Version, None] = None) -> bytes:
    """Marshal data as a version's ``marshal.dumps`` writes it (``version`` needed for values other than a Code or Pyc)."""
def versions() -> list[tuple[int, int]]: ...
def scan(
    paths: Union[str, os.PathLike[str], Sequence[Union[str, os.PathLike[str]]]],
    *,
    find: Sequence[str] = ...,
    jobs: Union[int, None] = None,
    select: Sequence[str] = ...,
    version: Union[_Version, None] = None,
) -> Iterator[dict[str, Any]]: ...
