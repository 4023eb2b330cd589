//! Tables generated from the CPython interpreters (see `tools/`).

pub(crate) mod printable;
