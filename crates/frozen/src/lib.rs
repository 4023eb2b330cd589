//! Reading frozen Python applications: bytes in, entries out.
//!
//! [`App::open`] recognises
//!
//! - **PyInstaller** 2.0–6.x archives (the CArchive, "PKG") appended to ELF,
//!   PE and Mach-O executables, in ELF `pydata` sections, after Authenticode
//!   signatures or junk, side-loaded `.pkg` files, and the executables of
//!   onedir builds; their PYZ archives, zlib-compressed and, for 3.x–5.x
//!   `--key` builds, AES-encrypted with the key the archive carries;
//! - the **cx_Freeze** and **py2exe** `library.zip` layouts, and py2exe's
//!   `PYTHONSCRIPT` resource;
//! - **Nuitka** builds, which compile Python to C: [`FrozenError::Nuitka`]
//!   says so.
//!
//! It lists every entry ([`App::entries`]) without inflating anything, and
//! [`App::extract`] produces one entry's bytes: modules and entry scripts as
//! `.pyc` files with the header of the application's CPython version, taken
//! from the archive itself ([`Target`]: the PYZ's stored magic, a module's
//! own header, the cookie's version field or the Python library's name),
//! never from the host.
//!
//! The crate never touches files: callers hand it the whole input and write
//! what it returns (the batch layer and the CLI do the I/O). Input is
//! untrusted: every offset and size is checked before use, and everything
//! inflated from one input is charged to one [`Budget`] proportional to its
//! size, so lying sizes, cookies pointing outside the file, overlapping
//! entries and zip bombs end in one [`FrozenError`] naming the offset — never
//! a panic, a hang or an unbounded allocation.
#![deny(missing_docs)]

mod app;
pub mod carchive;
pub mod crypto;
mod error;
pub mod exe;
mod inflate;
mod names;
pub mod pyz;
mod zipapp;

pub use app::{App, Entry, EntryKind, Freezer, Location, Target, VersionSource, sniff};
pub use error::FrozenError;
pub use inflate::{Budget, INFLATE_FLOOR, INFLATE_RATIO};
pub use names::safe_path;
