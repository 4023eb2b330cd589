//! CPython `.pyc` headers.
//!
//! A .pyc is a header followed by marshal data. The header starts with a
//! 2-byte magic number plus `\r\n`; the magic names the CPython version that
//! wrote it. Layouts: 8 bytes up to 3.2 (magic, mtime), 12 bytes for 3.3–3.6
//! (plus source size), 16 bytes from 3.7 (PEP 552: a flags word, then mtime
//! and size or an 8-byte SipHash of the source).
//!
//! This crate also owns [`PythonVersion`], the value every other bytescope
//! crate keys its version differences on.
#![deny(missing_docs)]

mod header;
pub mod magic;
pub mod magic_table;
mod source;
mod version;

pub use header::{HeaderError, Invalidation, PycHeader, header_len, parse_header, write_header};
pub use magic::{Implementation, MagicInfo, final_magic, lookup as lookup_magic};
pub use source::{Freshness, SourceInfo, check_source, hex, source_hash};
pub use version::{ParseVersionError, PythonVersion};
