//! CPython's `marshal` format, versions 0–6, read without copying and written
//! back byte for byte.
//!
//! [`read`] decodes one object into a [`Marshal`] arena whose strings, digits
//! and code bytes borrow from the input. Nodes keep their exact type byte, so
//! [`write`](fn@write) reproduces the stream. [`Pyc`] ties a .pyc header to its
//! marshal data.
//!
//! ```
//! use bytescope_marshal::{Format, read, write};
//! use bytescope_pyc::PythonVersion;
//! let data = b")\x02\xe9\x01\x00\x00\x00N"; // (1, None), 3.12 style
//! let m = read(data, Format::for_version(PythonVersion::PY312), 0).unwrap();
//! assert_eq!(m.tuple(m.root()).unwrap().len(), 2);
//! assert_eq!(write(&m), data);
//! ```
#![deny(missing_docs)]

mod error;
mod format;
mod object;
mod pyc;
mod reader;
pub mod reuse;
mod walk;
mod writer;

pub use error::{ErrorKind, MarshalError};
pub use format::{CodeField, CodeFields, CodeLayout, FLAG_REF, Format};
pub use object::{
    CodeNode, ComplexText, Items, Marshal, Node, ObjId, Storage, StrEncoding, Value, long_to_i64, str_utf8,
    value_name, value_name_bytes,
};
pub use pyc::{LoadError, Pyc, load_marshal, load_pyc, load_pyc_in};
pub use reader::{MAX_DEPTH, read, read_in};
pub use walk::{CodeVisit, CodeWalk};
pub use writer::write;
