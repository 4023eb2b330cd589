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
mod budget;
mod info;
mod lazy;
mod listing;
mod plan;
mod pyjson;
mod rules;
mod text;
mod views;

use bytescope_code::{Code, CodeError, CodeVecs, Selection};
use bytescope_marshal::{CodeNode, CodeWalk, Marshal};
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
use budget::Limit;
pub use budget::output_limit;
use listing::Prepared;
use plan::VersionData;

/// Why a disassembly could not be produced (in full).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DisError {
    /// No opcode table for this version.
    #[error(
        "disassembly of Python {version} bytecode is not supported (bytescope knows 1.5, 2.0-2.7 and 3.0-3.15)"
    )]
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
    /// The output would grow past a budget proportional to the input (256
    /// bytes per input byte, 16 past about 270 KiB of input, plus 1 MiB):
    /// only crafted files (one large constant loaded thousands of times, or
    /// shared by many code objects) get there, and CPython would print it all.
    #[error(
        "output stopped at {limit} bytes, the budget for this input size: the file repeats large constants"
    )]
    OutputLimit {
        /// The budget in bytes.
        limit: usize,
    },
    /// Code objects that marshal references put in several places (only
    /// crafted files share them) were all shown, but not again at every
    /// further place as CPython's `dis` shows them: the repeats would have
    /// exceeded the budget.
    #[error(
        "every code object is shown, but {skipped} repeats of code objects shared by marshal references were left out (crafted data: they exceed the budget)"
    )]
    RepeatsSkipped {
        /// Repeats left out (each with the code objects it holds).
        skipped: usize,
    },
    /// Distinct code objects share fields (names, bytecode, tables) through
    /// marshal references beyond the budget (only crafted files do): reading
    /// them again for each code object would take time quadratic in the
    /// input. The code objects before `offset` were shown.
    #[error(
        "code objects share fields (names, bytecode, tables) through marshal references beyond the budget: stopped at the code object at offset {offset:#x} (crafted data)"
    )]
    SharedFields {
        /// Offset of the first code object not shown.
        offset: usize,
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

/// The result of a walk that ran to its end: an error if it stopped early
/// or left repeats out.
fn repeats_result(walk: &CodeWalk<'_, '_>) -> Result<(), DisError> {
    if let Some(offset) = walk.overflow() {
        return Err(DisError::SharedFields { offset });
    }
    match walk.skipped() {
        0 => Ok(()),
        skipped => Err(DisError::RepeatsSkipped { skipped }),
    }
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
        Disassembler { table, data: plan::version_data(table) }
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

    /// With `opts.adaptive`, the bytecode to list instead of `code`'s own:
    /// quickened as the version quickens a new code object
    /// (`_co_code_adaptive`).
    fn adaptive_bytes(&self, code: &Code<'_, '_>, opts: DisOptions) -> Option<Vec<u8>> {
        opts.adaptive.then(|| self.data.decoding.table.quickened(code.code))
    }

    fn prepare<'c, 'm, 'a>(
        &'c self,
        code: &'c Code<'m, 'a>,
        for_dis: bool,
        bufs: Buffers,
    ) -> Prepared<'c, 'm, 'a> {
        Prepared::new(code, self.data, self.repr_for(code.marshal()), for_dis, bufs)
    }

    /// Repr options for the constants of `m`: one repr may be as long as
    /// the whole output may be, no longer.
    fn repr_for(&self, m: &Marshal<'_>) -> ReprOptions {
        ReprOptions { max_len: output_limit(m) }
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
    /// `out` holds `high` bytes or more at the end of a line, `drain` is
    /// called to take them (it empties `out`, e.g. by writing it, or leaves
    /// them to be asked again `high` bytes later), so a huge listing never
    /// sits in memory or spills the CPU caches.
    ///
    /// The output is bounded by a budget proportional to the input (see
    /// [`DisError::OutputLimit`]). Code objects shared by marshal
    /// references are listed at each place, as CPython does, while half the
    /// budget and the walk's own (see [`bytescope_marshal::CodeWalk`]) last;
    /// past that every code object is still listed once, and the result is
    /// [`DisError::RepeatsSkipped`].
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
        self.dis_nodes(m, Nodes::Walk(m.code_walk()), opts, scratch, out, high, drain, false)
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
        let nodes = Nodes::Walk(m.code_walk());
        self.dis_nodes(m, nodes, opts, &mut Scratch::default(), out, usize::MAX, |_| {}, true)
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
        let (nodes, stopped) = views::selected_nodes(m, selection, self.data.rules.recurse)?;
        self.dis_nodes(m, Nodes::List(nodes.into_iter(), stopped), opts, scratch, out, high, drain, false)
    }

    /// Lists the code objects of `nodes` in order, each after the first
    /// with its header (before 3.7, from a walk, the first only).
    #[allow(clippy::too_many_arguments)]
    fn dis_nodes(
        &self,
        m: &Marshal<'_>,
        mut nodes: Nodes<'_, '_>,
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
        let max_bytes = output_limit(m);
        let mut limit = Limit::new(out, max_bytes, high, &mut drain);
        let mut first = true;
        let whole_file = matches!(nodes, Nodes::Walk(_));
        while let Some(node) = nodes.next() {
            let mut code = Code::new_in(m, node, std::mem::take(&mut vecs))?;
            let quickened = self.adaptive_bytes(&code, opts);
            if let Some(q) = &quickened {
                code.code = q;
            }
            if !first {
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
            listing.write_text(out, opts, &mut limit).map_err(|stop| match stop {
                text::Stop::Repr(error) => DisError::Repr { error, code_offset: code.offset() },
                text::Stop::Limit => DisError::OutputLimit { limit: max_bytes },
            })?;
            bufs = listing.into_buffers();
            vecs = code.into_vecs();
            if out.len() >= high {
                limit.drain_now(out);
            }
            if whole_file && !self.data.rules.recurse {
                // Before 3.7 `dis` lists the module code object only.
                *scratch = Scratch(bufs, vecs);
                return Ok(());
            }
            // Repeats may take half the budget: the rest is for code
            // objects not listed yet.
            if limit.written(out) > max_bytes / 2 {
                nodes.stop_repeats();
            }
            first = false;
        }
        *scratch = Scratch(bufs, vecs);
        nodes.result()
    }

    /// Writes `dis.code_info(co)` followed by a blank line for every code
    /// object of `m` in pre-order (see [`Disassembler::dis_draining`] for
    /// the budget and shared code objects).
    ///
    /// # Errors
    /// As [`Disassembler::dis`].
    pub fn code_info(&self, m: &Marshal<'_>, out: &mut String) -> Result<(), DisError> {
        views::into_string(out, |bytes| self.code_info_draining(m, bytes, usize::MAX, |_| {}))
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
        views::into_string(out, |bytes| {
            self.code_info_selected_draining(m, selection, bytes, usize::MAX, |_| {})
        })
    }

    /// [`Disassembler::code_info_selected`] handing its text to `drain`
    /// line by line (see [`Disassembler::dis_draining`]).
    ///
    /// # Errors
    /// As [`Disassembler::code_info_selected`].
    pub fn code_info_selected_draining(
        &self,
        m: &Marshal<'_>,
        selection: &Selection,
        out: &mut Vec<u8>,
        high: usize,
        drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        let (nodes, stopped) = views::selected_nodes(m, selection, false)?;
        self.code_infos(m, Nodes::List(nodes.into_iter(), stopped), out, high, drain)
    }

    /// [`Disassembler::code_info`] handing its text to `drain` line by line
    /// (see [`Disassembler::dis_draining`]).
    ///
    /// # Errors
    /// As [`Disassembler::dis`].
    pub fn code_info_draining(
        &self,
        m: &Marshal<'_>,
        out: &mut Vec<u8>,
        high: usize,
        drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        self.code_infos(m, Nodes::Walk(m.code_walk()), out, high, drain)
    }

    /// `dis.code_info(co)` and a blank line for each code object of
    /// `nodes`.
    fn code_infos(
        &self,
        m: &Marshal<'_>,
        mut nodes: Nodes<'_, '_>,
        out: &mut Vec<u8>,
        high: usize,
        mut drain: impl FnMut(&mut Vec<u8>),
    ) -> Result<(), DisError> {
        let max_bytes = output_limit(m);
        let mut limit = Limit::new(out, max_bytes, high, &mut drain);
        while let Some(node) = nodes.next() {
            let code = Code::new(m, node)?;
            info::code_info(out, &code, self.table, &self.data.rules, &mut limit).map_err(
                |stop| match stop {
                    info::InfoStop::Repr(error) => DisError::Repr { error, code_offset: code.offset() },
                    info::InfoStop::Limit => DisError::OutputLimit { limit: max_bytes },
                },
            )?;
            let mark = out.len();
            out.extend_from_slice(b"\n\n");
            limit.check(out, mark).map_err(|_| DisError::OutputLimit { limit: max_bytes })?;
            if limit.written(out) > max_bytes / 2 {
                nodes.stop_repeats();
            }
        }
        nodes.result()
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
        let mut keep = |_: &mut Vec<u8>| {};
        let mut limit = Limit::new(out, max_bytes, usize::MAX, &mut keep);
        let quickened = self.adaptive_bytes(code, opts);
        let adapted;
        let code = match &quickened {
            Some(q) => {
                let mut c = code.clone();
                c.code = q;
                adapted = c;
                &adapted
            }
            None => code,
        };
        let listing = self.prepare(code, true, Buffers::default());
        listing.write_text(out, opts, &mut limit).map_err(|stop| match stop {
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
    /// A constant CPython could not repr; the output budget (see
    /// [`Disassembler::instructions`]).
    pub fn bytecode_instructions(&self, code: &Code<'_, '_>) -> Result<Vec<Instruction>, DisError> {
        let max = output_limit(code.marshal());
        self.prepare(code, true, Buffers::default()).decoded().instructions(max).map_err(|stop| match stop {
            text::Stop::Repr(error) => DisError::Repr { error, code_offset: code.offset() },
            text::Stop::Limit => DisError::OutputLimit { limit: max },
        })
    }

    /// Writes `dis.code_info(co)` for one code object (without the blank
    /// line [`Disassembler::code_info`] puts after each).
    ///
    /// # Errors
    /// As [`Disassembler::code_info`].
    pub fn code_info_of(&self, code: &Code<'_, '_>, out: &mut String) -> Result<(), DisError> {
        let max = output_limit(code.marshal());
        let mut bytes = std::mem::take(out).into_bytes();
        let mut keep = |_: &mut Vec<u8>| {};
        let mut limit = Limit::new(&bytes, max, usize::MAX, &mut keep);
        let result = info::code_info(&mut bytes, code, self.table, &self.data.rules, &mut limit);
        // Built from whole `str`s.
        *out =
            String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        result.map_err(|stop| match stop {
            info::InfoStop::Repr(error) => DisError::Repr { error, code_offset: code.offset() },
            info::InfoStop::Limit => DisError::OutputLimit { limit: max },
        })
    }

    /// The instructions of one code object for analyses: opcodes, arguments
    /// and what they refer to, without printable text. Much cheaper than
    /// [`Disassembler::instructions`] (no constant reprs, positions or name
    /// copies).
    #[must_use]
    pub fn ops<'c>(&'c self, code: &'c Code<'_, '_>) -> Vec<Op<'c>> {
        let p = Printer::new(code, self.data, self.repr_for(code.marshal()));
        p.decoder.raw_instructions().map(|raw| p.op(&raw)).collect()
    }

    /// The instructions of one code object, as `dis.get_instructions` gives
    /// them (from 3.11 its labels and jump targets ignore the exception
    /// table, unlike `dis.dis`).
    ///
    /// Their text (`argrepr`) is bounded by the output budget in all
    /// ([`DisError::OutputLimit`]): only crafted files, loading one large
    /// constant thousands of times, get there.
    ///
    /// # Errors
    /// A constant CPython could not repr; the output budget.
    pub fn instructions(&self, code: &Code<'_, '_>) -> Result<Vec<Instruction>, DisError> {
        let max = output_limit(code.marshal());
        self.prepare(code, false, Buffers::default()).instructions(max).map_err(|stop| match stop {
            text::Stop::Repr(error) => DisError::Repr { error, code_offset: code.offset() },
            text::Stop::Limit => DisError::OutputLimit { limit: max },
        })
    }
}

/// The code objects a listing goes through: a file's walk, or a list picked
/// from one (with the outcome of that walk).
enum Nodes<'m, 'a> {
    Walk(CodeWalk<'m, 'a>),
    List(std::vec::IntoIter<&'m CodeNode>, Result<(), DisError>),
}

impl<'m> Nodes<'m, '_> {
    fn next(&mut self) -> Option<&'m CodeNode> {
        match self {
            Nodes::Walk(walk) => walk.next().map(|v| v.code),
            Nodes::List(nodes, _) => nodes.next(),
        }
    }

    /// Skips repeats from now on (a list was cut by its walk already).
    fn stop_repeats(&mut self) {
        if let Nodes::Walk(walk) = self {
            walk.stop_repeats();
        }
    }

    /// The outcome once every code object was listed.
    fn result(self) -> Result<(), DisError> {
        match self {
            Nodes::Walk(walk) => repeats_result(&walk),
            Nodes::List(_, result) => result,
        }
    }
}
