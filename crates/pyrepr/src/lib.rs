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
//! | the same on marshal objects (shared ones once) | [`ConstKeys`] |
//!
//! # Verification
//!
//! `tests/data/<X.Y>.json` holds vectors dumped from real CPython 2.7 and
//! 3.6–3.15 by `tools/gen_repr_vectors.py` (reprs, hashes, frozenset orders,
//! int-limit errors); `tests/vectors.rs` checks every one of them. 3.0–3.5
//! have no interpreter here: their behaviour is transcribed from CPython's
//! sources and is unverified.
//!
//! # Assumptions and limits
//!
//! * A 64-bit build (`Py_hash_t` of 64 bits, 30-bit long digits) and, for
//!   2.7 and 3.0–3.2, a wide (UCS-4) unicode build. `Py_HASH_CUTOFF` is 0
//!   (no small-string hash special case) in every version.
//! * Not emulable, reported as `None` by [`hash`]: `None` before 3.12,
//!   `Ellipsis`, NaN floats (and complex numbers with a NaN part) from 3.10 —
//!   their hashes come from object addresses. Code objects are not hashable
//!   here at all.
//! * The `isprintable` tables of 3.0–3.5 (Unicode 5.1–8.0) are derived (see
//!   `tools/gen_unicode.py`): exact for characters assigned later, but blind
//!   to general-category changes of older characters.
//! * Set order for 3.0–3.5 follows the transcribed `setobject.c` logic
//!   (3.4 read from its source; 3.5 assumed equal to 3.6); the frozenset
//!   hash's dispersion step (bpo-26163) is taken as new in 3.6.
//! * [`repr_object`] stops at 200 levels of nesting ([`ReprError::TooDeep`];
//!   CPython's limit is about 990); hashing marshal objects has no depth
//!   limit. `repr` of a huge int without a digit limit (2.7, 3.6) is
//!   quadratic in its length.
//! * Marshal references can share one object among many containers, so an
//!   object's expansion can be exponential in the file size. [`ConstKeys`]
//!   and [`repr_object`] work on the reference graph: each shared object is
//!   hashed once and each pair compared once (identical objects are equal,
//!   as in CPython's set lookups), and a shared object printed again is
//!   copied; only the printed text itself can grow large, and
//!   [`ReprOptions::max_len`] stops it. Equality walks have a budget
//!   proportional to the input; a frozenset whose order would need more is
//!   shown in marshal order, like one whose order depends on addresses.
#![deny(missing_docs)]

mod float;
mod generated;
mod hash;
mod int;
mod keys;
mod object;
mod set;
mod strings;

pub use bytescope_pyc::PythonVersion;
pub use float::{repr_complex, repr_float};
pub use hash::{
    Hashable, ReferenceAddresses, hash, hash_bytes, hash_float, hash_frozenset, hash_int, hash_str_chars,
    hash_tuple, py_eq, reference_address,
};
pub use int::{
    INT_MAX_STR_DIGITS, IntReprError, has_int_digit_limit, long_from_digits, repr_bigint, repr_int, repr_long,
};
pub use keys::ConstKeys;
pub use num_bigint::BigInt;
pub use object::{ReprError, ReprOptions, repr_code, repr_object, write_code_repr};
pub use set::{frozenset_order, set_order, set_order_by};
pub use strings::{
    decode_lenient, is_printable, plain_str_quotes, repr_bytes, repr_str, repr_str_chars, unicode_version,
};
