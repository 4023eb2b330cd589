//! Open CPython bytecode of every version (2.7, 3.0–3.15), without that
//! Python: `.pyc` bytes → code objects → instructions, and `dis`-identical
//! printing.
//!
//! This crate is the entry point: it re-exports each layer as a module and
//! the types most programs need at the top level. Nothing is executed and
//! every input is treated as hostile: malformed bytes give an [`Error`],
//! never a panic.
//!
//! ```
//! use bytescope::Argument;
//! use bytescope::opcodes::Action;
//!
//! let data = include_bytes!("../../../examples/hello.cpython-312.pyc");
//! let pyc = bytescope::read_pyc(data)?;
//! assert_eq!(pyc.version().to_string(), "3.12");
//! let mut globals = Vec::new();
//! let mut builds = Vec::new();
//! for code in bytescope::code_objects(&pyc.marshal)? {
//!     if code.name != "greet" {
//!         continue;
//!     }
//!     for ins in bytescope::instructions(&code)? {
//!         // Each instruction: offset, opcode, name, folded argument and
//!         // what it refers to, typed.
//!         if let Argument::Name { name, .. } = ins.argument {
//!             globals.push((ins.offset, ins.name(), name.to_owned()));
//!         }
//!         // And what the opcode does, from the generated tables: its role,
//!         // where control goes, its pops and pushes.
//!         if let (Action::Build(_), Some(e)) = (ins.semantics.action, ins.stack_effect(false)) {
//!             builds.push((ins.name(), e.pops, e.pushes));
//!         }
//!     }
//! }
//! assert_eq!(globals, [(2, "LOAD_GLOBAL", "GREETING".to_owned())]);
//! assert_eq!(builds, [("BUILD_STRING", 4, 1)]);
//! # Ok::<(), bytescope::Error>(())
//! ```
//!
//! The layers, in data-flow order:
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`pyc`] | `bytescope-pyc` | versions, magic numbers, .pyc headers |
//! | [`marshal`] | `bytescope-marshal` | zero-copy marshal reader and byte-exact writer |
//! | [`code`] | `bytescope-code` | checked code objects, line/position/exception tables, the code-object tree and selection by qualified name |
//! | [`opcodes`] | `bytescope-opcodes` | per-version opcode tables |
//! | [`instr`] | `bytescope-instr` | the instruction model: decoded, resolved instructions |
//! | [`pyrepr`] | `bytescope-pyrepr` | each version's `repr()` |
//! | [`dis`] | `bytescope-dis` | `dis.dis`, `code_info`, `get_instructions` and tables, byte for byte |
//! | [`analysis`] | `bytescope-analysis` | stack depth per instruction and the symbolic stack |
//! | [`inspect`] | `bytescope-inspect` | code-object reports |
//! | [`write`] | `bytescope-write` | owned, editable code objects; table encoders, assembler, marshal and .pyc writing |
//! | [`asm`] | `bytescope-asm` | the assembly text: code objects to text and back |
//! | [`frozen`] | `bytescope-frozen` | frozen applications (PyInstaller, py2exe, cx_Freeze): their `.pyc` files |
#![deny(missing_docs)]

pub use bytescope_analysis as analysis;
pub use bytescope_asm as asm;
pub use bytescope_code as code;
pub use bytescope_dis as dis;
pub use bytescope_frozen as frozen;
pub use bytescope_inspect as inspect;
pub use bytescope_instr as instr;
pub use bytescope_marshal as marshal;
pub use bytescope_opcodes as opcodes;
pub use bytescope_pyc as pyc;
pub use bytescope_pyrepr as pyrepr;
pub use bytescope_write as write;

pub use bytescope_code::{Code, CodeEntry, Selection};
pub use bytescope_dis::{DisOptions, Disassembler};
pub use bytescope_instr::{Argument, Decoder, Instruction, Instructions, Lines};
pub use bytescope_marshal::{Marshal, Pyc};
pub use bytescope_pyc::PythonVersion;

/// Why bytes could not be opened, decoded or printed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The .pyc header or the marshal data.
    #[error(transparent)]
    Load(#[from] bytescope_marshal::LoadError),
    /// A malformed code object.
    #[error(transparent)]
    Code(#[from] bytescope_code::CodeError),
    /// A version without an opcode table.
    #[error(transparent)]
    Decode(#[from] bytescope_instr::NoTable),
    /// Printing.
    #[error(transparent)]
    Dis(#[from] bytescope_dis::DisError),
    /// `--function` names that match no code object.
    #[error("no code object named {}", .0.join(", "))]
    NotFound(Vec<String>),
}

/// Reads a `.pyc` file's bytes (header and marshal data; the version comes
/// from the header's magic number).
///
/// # Errors
/// [`Error::Load`] for a bad header or malformed marshal data.
pub fn read_pyc(data: &[u8]) -> Result<Pyc<'_>, Error> {
    Ok(bytescope_marshal::load_pyc(data, None)?)
}

/// Every code object of `m` (the module, then each nested one in
/// `co_consts` order, recursively), checked.
///
/// # Errors
/// [`Error::Code`] for the first malformed code object.
pub fn code_objects<'m, 'a>(m: &'m Marshal<'a>) -> Result<Vec<Code<'m, 'a>>, Error> {
    Ok(bytescope_code::code_objects(m)?)
}

/// The code objects of `m` that `selection` picks (by qualified name, see
/// [`Selection`]), in pre-order.
///
/// # Errors
/// [`Error::NotFound`] with the names that pick nothing; [`Error::Code`].
pub fn select<'m, 'a>(m: &'m Marshal<'a>, selection: &Selection) -> Result<Vec<Code<'m, 'a>>, Error> {
    let tree = bytescope_code::code_tree(m);
    let picked = selection.pick(&tree).map_err(Error::NotFound)?;
    Ok(picked.into_iter().map(|i| Code::new(m, tree[i].node)).collect::<Result<_, _>>()?)
}

/// The instructions of `code`, decoded and resolved by its version's rules.
///
/// # Errors
/// [`Error::Decode`] for a version without an opcode table.
pub fn instructions<'c, 'm, 'a>(code: &'c Code<'m, 'a>) -> Result<Instructions<'c, 'm, 'a>, Error> {
    Ok(Decoder::new(code)?.iter())
}
