//! Tables generated from the CPython interpreters (see `tools/`).

#[rustfmt::skip]
pub(crate) mod printable;
