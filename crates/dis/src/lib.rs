//! Disassembly of CPython bytecode, exactly as each version's `dis` shows it.
//!
//! A [`Disassembler`] holds one version's opcode table and [`Rules`]; it
//! decodes instructions (variable-length bytecode up to 3.5, wordcode from
//! 3.6, EXTENDED_ARG folding and inline caches by each version's rules),
//! resolves their arguments as that version's `dis` does, and prints
//! `dis.dis()` and `dis.code_info()` text byte for byte. Decoding never
//! prints and printing never decodes bytes: both go through [`Instruction`].
//!
//! ```no_run
//! # fn demo(data: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
//! let pyc = bytescope_marshal::load_pyc(data, None)?;
//! let dis = bytescope_dis::Disassembler::new(pyc.version())?;
//! let mut text = Vec::new();
//! dis.dis(&pyc.marshal, bytescope_dis::DisOptions::default(), &mut text)?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod argtext;
mod info;
mod lazy;
mod listing;
mod plan;
mod pyjson;
mod rules;
mod text;
mod views;

use bytescope_code::{Code, CodeError, CodeVecs, Selection, code_objects, code_tree, subtree_end};
use bytescope_marshal::{CodeNode, Marshal};
use bytescope_opcodes::OpcodeTable;
use bytescope_pyc::PythonVersion;
use bytescope_pyrepr::{ReprError, ReprOptions, write_code_repr};

pub use argtext::{ArgVal, Instruction, Op, OpValue};
pub use info::pretty_flags;
pub use lazy::{ArgRef, ArgreprCache, Decoded, Row};
pub use rules::{Layout, Rules};
pub use text::DisOptions;
pub use views::TableKind;

use argtext::{Buffers, Printer};
use listing::Prepared;
use plan::VersionData;

/// Why a disassembly could not be produced (in full).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DisError {
    /// No opcode table for this version.
    #[error("disassembly of Python {version} bytecode is not supported (bytescope knows 2.7 and 3.0-3.15)")]
    NoTable {
        /// The version.
        version: PythonVersion,
    },
    /// A display option the file's version does not have.
    #[error("{option} needs Python {since} or later, but this file is Python {version}")]
    Option {
        /// The option, e.g. `--show-positions`.
        option: &'static str,
        /// First version that has it.
        since: &'static str,
        /// The file's version.
        version: PythonVersion,
    },
    /// A malformed code object.
    #[error(transparent)]
    Code(#[from] CodeError),
    /// The output would grow past a budget proportional to the input: only
    /// crafted files (one large constant loaded thousands of times, or shared
    /// by many code objects) get there, and CPython would print it all.
    #[error(
        "output stopped at {limit} bytes (256 bytes per input byte + 1 MiB): the file repeats large constants"
    )]
    OutputLimit {
        /// The budget in bytes.
        limit: usize,
    },
    /// Names given to pick code objects by that match none.
    #[error("no code object named {}", names.join(", "))]
    NotFound {
        /// The names.
        names: Vec<String>,
    },
    /// A constant CPython itself could not show (`dis` raises there).
    #[error("{error} (in a constant of the code object at offset {code_offset:#x})")]
    Repr {
        /// What went wrong.
        error: ReprError,
        /// The code object's offset.
        code_offset: usize,
    },
}

/// The output budget for marshal data `m`: 256 bytes per input byte plus
/// 1 MiB. Real listings run about 5 bytes per pyc byte.
pub(crate) fn output_limit(m: &Marshal<'_>) -> usize {
    m.end_offset().saturating_mul(256).saturating_add(1 << 20)
}

/// Most code objects a single file may expand to when shared references
/// repeat them (keeps crafted inputs linear; real files never share). The
/// JSON views visit `bytescope_code::code_objects(m, visit_limit(m))`, in
/// that order, so callers can line their rows up with the code objects.
#[must_use]
pub fn visit_limit(m: &Marshal<'_>) -> usize {
    m.codes().len().saturating_mul(4).saturating_add(16)
}

/// Working memory of [`Disassembler::dis_draining`], kept between files.
#[derive(Debug, Default)]
pub struct Scratch(Buffers, CodeVecs);

/// Disassembles code objects of one CPython version.
#[derive(Debug)]
pub struct Disassembler {
    table: &'static OpcodeTable,
    /// Rules and opcode plans, shared by every disassembler of the version.
    data: &'static VersionData,
    repr: ReprOptions,
}

impl Disassembler {
    /// A disassembler for `version`.
    ///
    /// # Errors
    /// [`DisError::NoTable`] for versions without an opcode table.
    pub fn new(version: PythonVersion) -> Result<Self, DisError> {
        let table = bytescope_opcodes::table(version).ok_or(DisError::NoTable { version })?;
        Ok(Self::with_table(table))
    }

    /// A disassembler for the bytecode of `pyc`: its implementation's table
    /// (PyPy's own opcodes) when its magic names one, else CPython's of its
    /// version.
    ///
    /// # Errors
    /// [`DisError::NoTable`] for versions without an opcode table.
    pub fn for_pyc(pyc: &bytescope_marshal::Pyc<'_>) -> Result<Self, DisError> {
        Self::for_marshal(&pyc.marshal)
    }

    /// A disassembler for the bytecode of `m`, by the format it was read
    /// in (see [`Disassembler::for_pyc`]).
    ///
    /// # Errors
    /// [`DisError::NoTable`] for versions without an opcode table.
    pub fn for_marshal(m: &Marshal<'_>) -> Result<Self, DisError> {
        let version = m.version();
        let implementation = m.format().implementation;
        let table =
            bytescope_opcodes::table_for(implementation, version).ok_or(DisError::NoTable { version })?;
        Ok(Self::with_table(table))
    }

    /// A disassembler driven by `table` (its version's rules).
    #[must_use]
    pub fn with_table(table: &'static OpcodeTable) -> Self {
        Disassembler { table, data: plan::version_data(table), repr: ReprOptions::default() }
    }

    /// The version's rules.
    #[must_use]
    pub fn rules(&self) -> &Rules {
        &self.data.rules
    }

    /// The version's opcode table.
    #[must_use]
    pub fn table(&self) -> &'static OpcodeTable {
        self.table
    }

    /// Checks that `opts` exist in this version.
    ///
    /// # Errors
    /// [`DisError::Option`] naming the first option the version lacks.
    pub fn check_options(&self, opts: DisOptions) -> Result<(), DisError> {
        let version = self.data.rules.version;
        let checks = [
            (opts.show_caches, self.data.rules.has_show_caches, "--show-caches", "3.11"),
            (opts.show_offsets, self.data.rules.has_show_offsets, "--show-offsets", "3.13"),
            (opts.show_positions, self.data.rules.has_show_positions, "--show-positions", "3.14"),
        ];
        for (asked, has, option, since) in checks {
            if asked && !has {
                return Err(DisError::Option { option, since, version });
            }
        }
        Ok(())
    }

    fn prepare<'c, 'm, 'a>(
        &'c self,
        code: &'c Code<'m, 'a>,
        for_dis: bool,
        bufs: Buffers,
    ) -> Prepared<'c, 'm, 'a> {
        Prepared::new(code, self.data, self.repr, for_dis, bufs)
    }

    /// Writes what `dis.dis(code)` prints (UTF-8 bytes, as CPython writes
    /// them with a UTF-8 stdout) for the root code object of `m`:
    /// its listing and, from 3.7, each nested code object's (pre-order, each
    /// preceded by a blank line and `Disassembly of <code object …>:`).
    ///
    /// # Errors
    /// A malformed code object, or a constant CPython could not repr; `out`
    /// then holds the text CPython would have printed before failing.
    pub fn dis(&self, m: &Marshal<'_>, opts: DisOptions, out: &mut Vec<u8>) -> Result<(), DisError> {
        self.dis_draining(m, opts, &mut Scratch::default(), out, usize::MAX, |_| {})
    }

    /// [`Disassembler::dis`] for output that need not stay in memory: once
    /// `out` holds `high` bytes or more after a code object's listing,
    /// `drain` is called to take them (it empties `out`, e.g. by writing
    /// it), so a huge listing never sits in memory or spills the CPU caches.
    ///
    /// `scratch` holds working memory between calls (a batch of files then
    /// allocates it once).
    ///
    /// # Errors
    /// As [`Disassembler::dis`] (what was written before the error has been
    /// drained or is in `out`).
    pub fn dis_draining(
        &self,
        m: &Marshal<'_>,
        opts: DisOptions,
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
        high: usize,
        drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        self.check_options(opts)?;
        let limit = if self.data.rules.recurse { visit_limit(m) } else { 1 };
        self.dis_nodes(m, &m.code_preorder(limit), opts, scratch, out, high, drain, false)
    }

    /// [`Disassembler::dis`] with every line printed by the general path,
    /// none by the fast paths: for tests that check the fast paths against
    /// it (the output must be the same, byte for byte).
    ///
    /// # Errors
    /// As [`Disassembler::dis`].
    #[doc(hidden)]
    pub fn dis_general_path(
        &self,
        m: &Marshal<'_>,
        opts: DisOptions,
        out: &mut Vec<u8>,
    ) -> Result<(), DisError> {
        self.check_options(opts)?;
        let limit = if self.data.rules.recurse { visit_limit(m) } else { 1 };
        let nodes = m.code_preorder(limit);
        self.dis_nodes(m, &nodes, opts, &mut Scratch::default(), out, usize::MAX, |_| {}, true)
    }

    /// [`Disassembler::dis_draining`] of the code objects `selection`
    /// picks: for each, what `dis.dis(co)` prints (from 3.7 with the code
    /// objects nested in it), each after the first preceded by a blank
    /// line and `Disassembly of <code object …>:`. A code object nested in
    /// one already shown is not shown again.
    ///
    /// # Errors
    /// [`DisError::NotFound`] (before any output) when a name picks
    /// nothing; otherwise as [`Disassembler::dis`].
    #[allow(clippy::too_many_arguments)]
    pub fn dis_selected_draining(
        &self,
        m: &Marshal<'_>,
        selection: &Selection,
        opts: DisOptions,
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
        high: usize,
        drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        self.check_options(opts)?;
        let tree = code_tree(m, visit_limit(m));
        let picked = selection.pick(&tree).map_err(|names| DisError::NotFound { names })?;
        let mut nodes: Vec<&CodeNode> = Vec::new();
        let mut covered = 0;
        for i in picked {
            if i < covered {
                continue;
            }
            covered = if self.data.rules.recurse { subtree_end(&tree, i) } else { i + 1 };
            nodes.extend(tree[i..covered].iter().map(|e| e.node));
        }
        self.dis_nodes(m, &nodes, opts, scratch, out, high, drain, false)
    }

    /// Lists `nodes` in order, each after the first with its header.
    #[allow(clippy::too_many_arguments)]
    fn dis_nodes(
        &self,
        m: &Marshal<'_>,
        nodes: &[&CodeNode],
        opts: DisOptions,
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
        high: usize,
        mut drain: impl FnMut(&mut Vec<u8>),
        general: bool,
    ) -> Result<(), DisError> {
        let Scratch(mut bufs, mut vecs) = std::mem::take(scratch);
        // The cached reprs belong to the previous file's objects.
        bufs.reprs.clear();
        // The output limit counts drained bytes too: `limit_bytes` is where
        // it falls in `out`, moved back by what each drain takes.
        let max_bytes = output_limit(m);
        let mut limit_bytes = out.len().saturating_add(max_bytes);
        for (i, &node) in nodes.iter().enumerate() {
            let code = Code::new_in(m, node, std::mem::take(&mut vecs))?;
            if i > 0 {
                // The parent's LOAD_CONST has usually shown this repr already.
                let repr = bufs.reprs.get(node.node, |s| {
                    write_code_repr(s, m, node);
                    Ok(())
                });
                out.extend_from_slice(b"\nDisassembly of ");
                out.extend_from_slice(repr.unwrap_or_default().as_bytes());
                out.extend_from_slice(b":\n");
            }
            let mut listing = self.prepare(&code, true, bufs);
            listing.general = general;
            listing.write_text(out, opts, limit_bytes).map_err(|stop| match stop {
                text::Stop::Repr(error) => DisError::Repr { error, code_offset: code.offset() },
                text::Stop::Limit => DisError::OutputLimit { limit: max_bytes },
            })?;
            bufs = listing.into_buffers();
            vecs = code.into_vecs();
            if out.len() >= high {
                let before = out.len();
                drain(out);
                limit_bytes = limit_bytes.saturating_sub(before.saturating_sub(out.len()));
            }
        }
        *scratch = Scratch(bufs, vecs);
        Ok(())
    }

    /// Writes `dis.code_info(co)` followed by a blank line for every code
    /// object of `m` in pre-order.
    ///
    /// # Errors
    /// As [`Disassembler::dis`].
    pub fn code_info(&self, m: &Marshal<'_>, out: &mut String) -> Result<(), DisError> {
        self.code_infos(m, code_objects(m, visit_limit(m))?, out)
    }

    /// [`Disassembler::code_info`] of the code objects `selection` picks
    /// (each alone, in pre-order).
    ///
    /// # Errors
    /// [`DisError::NotFound`] when a name picks nothing; otherwise as
    /// [`Disassembler::dis`].
    pub fn code_info_selected(
        &self,
        m: &Marshal<'_>,
        selection: &Selection,
        out: &mut String,
    ) -> Result<(), DisError> {
        let codes = views::selected_codes(m, selection, false)?;
        self.code_infos(m, codes, out)
    }

    fn code_infos(
        &self,
        m: &Marshal<'_>,
        codes: Vec<Code<'_, '_>>,
        out: &mut String,
    ) -> Result<(), DisError> {
        let limit = out.len().saturating_add(output_limit(m));
        for code in codes {
            let before = out.len();
            let stopped = info::code_info(out, &code, self.table, &self.data.rules, self.repr, limit)
                .map_err(|error| DisError::Repr { error, code_offset: code.offset() })?;
            out.push_str("\n\n");
            if stopped || out.len() > limit {
                if out.len() > limit {
                    // A line start: always a char boundary.
                    out.truncate(before);
                }
                return Err(DisError::OutputLimit { limit: output_limit(m) });
            }
        }
        Ok(())
    }

    /// Writes what `dis.disassemble(co)` prints for one code object: its
    /// listing alone, without the nested code objects' (the Python binding
    /// walks those itself for `dis(x, depth=...)`).
    ///
    /// # Errors
    /// As [`Disassembler::dis`].
    pub fn disassemble(
        &self,
        code: &Code<'_, '_>,
        opts: DisOptions,
        out: &mut Vec<u8>,
    ) -> Result<(), DisError> {
        self.check_options(opts)?;
        let max_bytes = output_limit(code.marshal());
        let limit = out.len().saturating_add(max_bytes);
        let listing = self.prepare(code, true, Buffers::default());
        listing.write_text(out, opts, limit).map_err(|stop| match stop {
            text::Stop::Repr(error) => DisError::Repr { error, code_offset: code.offset() },
            text::Stop::Limit => DisError::OutputLimit { limit: max_bytes },
        })
    }

    /// The instructions of one code object as iterating `dis.Bytecode(co)`
    /// gives them: like [`Disassembler::instructions`], but from 3.11 the
    /// exception table's targets are labels and jump targets too, as in the
    /// `dis.dis` listing.
    ///
    /// # Errors
    /// A constant CPython could not repr.
    pub fn bytecode_instructions(&self, code: &Code<'_, '_>) -> Result<Vec<Instruction>, DisError> {
        self.prepare(code, true, Buffers::default())
            .decoded()
            .instructions()
            .map_err(|error| DisError::Repr { error, code_offset: code.offset() })
    }

    /// Writes `dis.code_info(co)` for one code object (without the blank
    /// line [`Disassembler::code_info`] puts after each).
    ///
    /// # Errors
    /// As [`Disassembler::code_info`].
    pub fn code_info_of(&self, code: &Code<'_, '_>, out: &mut String) -> Result<(), DisError> {
        let max = output_limit(code.marshal());
        let limit = out.len().saturating_add(max);
        let stopped = info::code_info(out, code, self.table, &self.data.rules, self.repr, limit)
            .map_err(|error| DisError::Repr { error, code_offset: code.offset() })?;
        if stopped || out.len() > limit {
            return Err(DisError::OutputLimit { limit: max });
        }
        Ok(())
    }

    /// The instructions of one code object for analyses: opcodes, arguments
    /// and what they refer to, without printable text. Much cheaper than
    /// [`Disassembler::instructions`] (no constant reprs, positions or name
    /// copies).
    #[must_use]
    pub fn ops<'c>(&'c self, code: &'c Code<'_, '_>) -> Vec<Op<'c>> {
        let p = Printer::new(code, self.data, self.repr);
        p.decoder.raw_instructions().map(|raw| p.op(&raw)).collect()
    }

    /// The instructions of one code object, as `dis.get_instructions` gives
    /// them (from 3.11 its labels and jump targets ignore the exception
    /// table, unlike `dis.dis`).
    ///
    /// # Errors
    /// A constant CPython could not repr.
    pub fn instructions(&self, code: &Code<'_, '_>) -> Result<Vec<Instruction>, DisError> {
        self.prepare(code, false, Buffers::default())
            .instructions()
            .map_err(|error| DisError::Repr { error, code_offset: code.offset() })
    }
}
