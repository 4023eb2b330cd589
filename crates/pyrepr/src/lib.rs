//! `repr()` and `hash()` of CPython constants, per version.
//!
//! bytescope prints constants exactly as the CPython that wrote the file
//! would: string escapes follow that version's Unicode database, floats use
//! the shortest round-trip digits laid out by CPython's rules, and frozensets
//! list their elements in the order that version's set table yields them
//! under `PYTHONHASHSEED=0` (which needs that version's hash functions).
#![deny(missing_docs)]
