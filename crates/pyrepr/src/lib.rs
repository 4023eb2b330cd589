//! `repr()` and `hash()` of CPython constants, per version.
//!
//! bytescope prints constants exactly as the CPython that wrote the file
//! would: string escapes follow that version's Unicode database, floats use
//! the shortest round-trip digits laid out by CPython's rules, and frozensets
//! list their elements in the order that version's set table yields them
//! under `PYTHONHASHSEED=0` (which needs that version's hash functions).
//!
//! Every function takes the [`PythonVersion`] whose behaviour to reproduce.
//! Versions before 2.7 behave as 2.7 and versions after 3.15 as 3.15.
//! Nothing here panics on any input.
//!
//! | what | function |
//! |---|---|
//! | `str` / py2 `unicode` | [`repr_str`], [`repr_str_chars`], [`is_printable`] |
//! | `bytes` / py2 `str` | [`repr_bytes`] |
//! | `int` / py2 `long` | [`repr_int`], [`repr_long`], [`repr_bigint`] ([`IntReprError`]) |
//! | `float`, `complex` | [`repr_float`], [`repr_complex`] |
//! | hashes | [`hash`] over [`Hashable`], [`hash_int`], [`hash_float`], [`hash_str_chars`], [`hash_bytes`], [`hash_tuple`], [`hash_frozenset`] |
//! | frozenset order | [`set_order`], [`set_order_by`], [`frozenset_order`] |
#![deny(missing_docs)]

mod float;
mod generated;
mod hash;
mod int;
mod object;
mod set;
mod strings;

pub use bytescope_pyc::PythonVersion;
pub use float::{repr_complex, repr_float};
pub use hash::{
    Hashable, hash, hash_bytes, hash_float, hash_frozenset, hash_int, hash_str_chars, hash_tuple, py_eq,
};
pub use int::{
    INT_MAX_STR_DIGITS, IntReprError, has_int_digit_limit, long_from_digits, repr_bigint, repr_int, repr_long,
};
pub use num_bigint::BigInt;
pub use object::{ReprError, ReprOptions, repr_code, repr_object};
pub use set::{frozenset_order, set_order, set_order_by};
pub use strings::{decode_lenient, is_printable, repr_bytes, repr_str, repr_str_chars, unicode_version};
