//! Normalised CPython code objects and their tables.
//!
//! [`Code`] is a version-independent view of a marshalled code object
//! (2.3–3.15): it derives `co_varnames`, `co_cellvars`, `co_freevars` and
//! `co_nlocals` from 3.11+'s `localsplusnames`/`localspluskinds` exactly as
//! CPython does. The table modules decode line numbers (`co_lnotab` ≤3.9, the
//! 3.10 `co_linetable`, the 3.11+ location table) and the 3.11+ exception
//! table into plain rows.
#![deny(missing_docs)]

mod code;
pub mod exceptions;
pub mod lines;
mod tree;
pub mod varint;

pub use code::{Code, CodeError, CodeVecs, Name, code_objects, kinds};
pub use tree::{CodeEntry, Selection, code_tree, code_tree_along, subtree_end};
