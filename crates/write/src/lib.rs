//! The write half of bytescope: owned, editable code objects of every
//! CPython version, and the encoders that turn them back into bytes.
//!
//! As gimli separates reading from writing, `bytescope-marshal` and
//! `bytescope-code` decode without copying, and this crate owns what is
//! built or edited:
//!
//! - [`CodeObject`] and [`Object`]: every `co_*` field of 2.3–2.7 and
//!   3.0–3.15, constants as an owned tree of every marshal type, built from
//!   a decoded object ([`CodeObject::from_marshal`]), from scratch
//!   ([`CodeObject::new`], `types.CodeType(...)`), or changed with the checks
//!   and side effects of that version's `code.replace()`
//!   ([`CodeObject::replace`]).
//! - [`dumps`] / [`dumps_code`]: marshal writing in each version's format;
//!   [`to_pyc`]: a whole .pyc with the version's header (timestamp or PEP 552
//!   hash, computed from the source as that version does).
//! - [`tables`]: encoders for `co_lnotab`, the 3.10 `co_linetable`, the
//!   3.11+ location table and the exception table.
//! - [`assemble`](assemble()) / [`Assembler`]: instructions and labels to
//!   `co_code` and tables (jumps, `EXTENDED_ARG` fixpoint, caches);
//!   [`lift`] / [`Lifter`]: the inverse; [`CodeObject::compute_stacksize`]:
//!   `co_stacksize` from the stack analysis.
//!
//! ```
//! use bytescope_marshal::load_pyc;
//! use bytescope_write::{CodeObject, Object, Replace, dumps_code};
//! # let data = include_bytes!("../../../tests/fixtures/3.12/constants.pyc");
//! let pyc = load_pyc(data, None).unwrap();
//! let code = CodeObject::from_root(&pyc.marshal).unwrap();
//! let mut consts = code.consts.clone();
//! consts.push(Object::int(42));
//! let edited = code.replace(Replace { consts: Some(consts), ..Replace::default() }).unwrap();
//! let bytes = dumps_code(&edited).unwrap();
//! assert!(!bytes.is_empty());
//! ```
#![deny(missing_docs)]

mod assemble;
mod code;
mod dump;
mod from_marshal;
mod lift;
mod object;
mod pyc;
mod replace;
mod rules;
mod stack;
mod suggest;
pub mod tables;

pub use assemble::{
    AsmError, Assembled, Assembler, Handler, Instruction, Item, Label, Location, Operand, assemble,
};
pub use code::{CodeObject, Locals, flags, kinds};
pub use dump::{MAX_DEPTH, WriteError, dumps, dumps_code};
pub use from_marshal::FromMarshalError;
pub use lift::{LiftError, Lifter, lift};
pub use object::{Object, PyFloat, PyInt, PyStr, StrError};
pub use pyc::{HeaderSpec, PycWriteError, pyc_header, to_pyc};
pub use replace::{CodeArgs, CodeValueError, PyErrorKind, Replace};
pub use rules::{CheckFamily, CodeRules};
pub use stack::{StackError, StackSize};
