//! The instruction model of CPython bytecode, for every version (2.7,
//! 3.0–3.15).
//!
//! A [`Decoder`] turns one code object ([`bytescope_code::Code`]) into a
//! stream of [`Instruction`]s: opcode and base opcode, the argument with
//! EXTENDED_ARG folded by the version's rules, offsets, size with inline
//! caches, and the [`Argument`] resolved to what it refers to (a constant,
//! a name, a local, a jump target in bytes, an operator…), typed and
//! borrowed from the code object. No text is made here: printers
//! (`bytescope-dis`) and analyses consume the same stream. Iterating
//! allocates nothing.
//!
//! Line numbers and positions come from [`Lines`], walked alongside the
//! instructions ([`Instructions::located`]), so a consumer that does not
//! need them does not pay for them.
//!
//! ```
//! # fn demo(pyc_bytes: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! use bytescope_instr::{Argument, Decoder};
//!
//! let pyc = bytescope_marshal::load_pyc(pyc_bytes, None)?;
//! for code in bytescope_code::code_objects(&pyc.marshal)? {
//!     for ins in Decoder::new(&code)?.iter() {
//!         if let Argument::Name { name, .. } = ins.argument {
//!             println!("{} {} {name}", ins.offset, ins.name());
//!         }
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! The lower layers are public for consumers that need only part of each
//! instruction: [`Decoder::jump_targets`] scans the code for jump targets
//! without keeping instructions, [`Decoder::walk`] decodes without
//! resolving, and [`Decoder::resolve_with`] resolves into a continuation.
#![deny(missing_docs)]

mod argument;
mod decoder;
mod instruction;
mod lines;
mod plan;
mod rules;
mod walk;

pub use argument::{Argument, Conversion, NameMarker, Operand};
pub use decoder::{ArgumentSink, Decoder, NoTable, py_index};
pub use instruction::{Instruction, Instructions};
pub use lines::{LineCursor, LineInfo, Lines, Located, LocatedInstruction};
pub use plan::{ArgKind, NameBits, OpPlan, VersionData};
pub use rules::Rules;
pub use walk::{Bytes, ExtWords, RawInstruction, RawInstructions, Walk, Words};

pub use bytescope_code::lines::Positions;
pub use bytescope_opcodes::{OpInfo, OpcodeTable};

#[cfg(test)]
mod tests;
