//! bytescope assembly: a text form of a .pyc that `bytescope dis --asm`
//! prints and `bytescope asm` builds back, for every CPython version
//! bytescope reads (2.7, 3.0–3.15).
//!
//! It stays close to the `dis` listing — one instruction per line, labels
//! instead of offsets, constants and names beside their indices — and holds
//! every attribute needed to rebuild the file, so editing a .pyc is: print,
//! change the text, assemble.
//!
//! ```text
//! # bytescope assembly
//! .python 3.12
//! .header timestamp 1700000000 31
//!
//! .code 0
//! .name '<module>'
//! .qualname '<module>'
//! .filename 'add.py'
//! .firstlineno 1
//! .argcount 0
//! .posonlyargcount 0
//! .kwonlyargcount 0
//! .stacksize 2
//! .flags 0x00000000
//! .names ('add',)
//! .locals ()
//! .consts (code 1, None)
//! .linetable b'\xf0\x03\x01\x01\x01\xf2\x02\x01\x01\x0e'
//! .exceptiontable b''
//! @0:0-0:0
//!     RESUME 0
//! @1:0-2:16
//!     LOAD_CONST 0 (code 1)
//!     MAKE_FUNCTION
//!     STORE_NAME 0 (add)
//!     RETURN_CONST 1 (None)
//! .end
//!
//! .code 1
//! .name 'add'
//! ...
//! ```
//!
//! # The format
//!
//! Lines are directives (`.name value`), labels (`L3:`), locations
//! (`@…`), handlers (`.handler …`) or instructions; `#` starts a comment.
//!
//! - **File**: `.python X.Y` (first), `.header` — `timestamp MTIME SIZE`,
//!   `checked-hash HEX16`, `unchecked-hash HEX16` or `none` (marshal data
//!   without a header) — then one block per code object, `.code N` …
//!   `.end`, block 0 being the module.
//! - **Attributes** of a block: `.name`, `.qualname` (3.11+), `.filename`,
//!   `.firstlineno`, `.argcount`, `.posonlyargcount` (3.8+),
//!   `.kwonlyargcount` (3.0+), `.nlocals` (≤3.10), `.stacksize`, `.flags`,
//!   `.names (…)`, the locals — `.varnames`, `.cellvars`, `.freevars` up
//!   to 3.10, `.locals ((NAME, KIND), …)` from 3.11 with the
//!   `co_localspluskinds` bits — and `.consts (…)`, constants as Python
//!   literals (see below) where `code N` is block `N`. `.lnotab` (≤3.9) /
//!   `.linetable` (3.10+) and `.exceptiontable` (3.11+) hold the tables as
//!   read: they are written as they are while the instructions' locations
//!   and handlers still say what they say, and encoded from the
//!   instructions otherwise.
//! - **Instructions**: `OPNAME [ARG] [(HINT)] [ext=N]`. `ARG` is a number,
//!   or `L<n>` for a jump. The hint after a number is what `dis` shows and
//!   is ignored when read; *without* a number it is the operand itself:
//!   `LOAD_CONST ('hi')` (a constant, appended to `.consts` if absent),
//!   `LOAD_NAME (print)`, `LOAD_FAST (x)`, `LOAD_DEREF (cell)` (a name or
//!   local, looked up by name; a new name is appended to `.names`),
//!   `BINARY_OP (*)` (3.11+ operators by symbol).
//!   `EXTENDED_ARG` and `CACHE` are never written: prefixes and caches
//!   follow from the arguments; `ext=N` keeps at least `N` prefixes.
//! - **Locations**: `@LINE` or `@LINE:COL-ENDLINE:ENDCOL` (`?` for an
//!   unknown part, `@-` for none) applies to the instructions that follow,
//!   up to the next one. Before 3.11 only the line counts.
//! - **Handlers** (3.11+): `.handler L5 DEPTH [lasti]` covers the
//!   instructions that follow with the handler at `L5`, up to the next
//!   `.handler` (`.handler -`: none).
//!
//! Constants: `None`, `True`, `False`, `...`, `StopIteration`, ints of any
//! size (`5L` for a Python 2 `long`), floats as CPython's `repr` (`-0.0`,
//! `inf`, `nan`; any other NaN as `float.bits(0x…)`), `complex(RE, IM)`,
//! strings and bytes as `repr` (Python 2: `'…'` is a byte string and
//! `u'…'` unicode), tuples, lists, dicts, sets, `frozenset({…})`,
//! `frozendict({…})` (3.15), `slice(a, b, c)` (3.14+) and `code N`.
//!
//! `co_stacksize` is written and read as `.stacksize`; leave the line out
//! and the stack analysis computes it from the instructions
//! ([`bytescope_write::CodeObject::compute_stacksize`]).
#![deny(missing_docs)]

mod literal;
mod parse;
mod print;

use bytescope_pyc::PythonVersion;
use bytescope_write::CodeObject;

pub use parse::parse;
pub use print::print;

/// What the .pyc header says, as the text's `.header` line holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Header {
    /// No header: marshal data only.
    None,
    /// A timestamp header.
    Timestamp {
        /// Source modification time.
        mtime: u32,
        /// Source size (not stored before 3.3).
        source_size: u32,
    },
    /// A checked-hash header (3.7+).
    CheckedHash([u8; 8]),
    /// An unchecked-hash header (3.7+).
    UncheckedHash([u8; 8]),
}

/// A whole file: version, header and module code object.
#[derive(Clone, Debug, PartialEq)]
pub struct Module {
    /// The CPython version.
    pub version: PythonVersion,
    /// The header.
    pub header: Header,
    /// The module's code object, nested code objects inside.
    pub code: CodeObject,
}

impl Module {
    /// The .pyc bytes: the header (none for [`Header::None`]), then the
    /// marshal data.
    ///
    /// # Errors
    /// A message when the version has no such header or the code object
    /// cannot be written.
    pub fn to_pyc(&self) -> Result<Vec<u8>, String> {
        use bytescope_pyc::{Invalidation, PycHeader, write_header};
        let invalidation = match self.header {
            Header::None => return bytescope_write::dumps_code(&self.code).map_err(|e| e.to_string()),
            Header::Timestamp { mtime, source_size } => {
                Invalidation::Timestamp { mtime, source_size: Some(source_size) }
            }
            Header::CheckedHash(hash) => Invalidation::CheckedHash { hash },
            Header::UncheckedHash(hash) => Invalidation::UncheckedHash { hash },
        };
        let header = PycHeader::for_version(self.version, invalidation)
            .ok_or_else(|| format!("no such .pyc header for Python {}", self.version))?;
        let mut out = write_header(&header);
        out.extend(bytescope_write::dumps_code(&self.code).map_err(|e| e.to_string())?);
        Ok(out)
    }
}

/// An error in assembly text, at a line and column (both from 1).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct AsmTextError {
    /// Line number.
    pub line: usize,
    /// Column (characters from 1).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}
