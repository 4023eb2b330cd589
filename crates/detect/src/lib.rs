//! Which CPython version wrote a piece of headerless marshal data.
//!
//! Code objects whose `.pyc` header is gone (stripped by an unpacker, zeroed,
//! or never there: raw `marshal.dumps` output) do not say which version
//! wrote them. [`detect`] reads the data under every candidate version and
//! scores how well it decodes under each: the marshal layout of the code
//! objects and the type codes of the version's marshal format, known
//! opcodes, operands in range, jumps to instruction starts, `EXTENDED_ARG`
//! use, inline-cache layout, and line and exception tables consistent with
//! the code.
//!
//! # Evidence
//!
//! Every check tests something the version's own compiler and marshal
//! writer never get wrong, so data that a version really wrote passes all of
//! its checks; a failed check excludes a version. The result is therefore
//! never a guess: when one version is left, it is the one
//! ([`Verdict::Unique`]); when several decode the data identically (a tiny
//! module is the same bytes in 3.6 and 3.7), detection names them all
//! ([`Verdict::Tie`]) and ranks them by weaker evidence (where a zeroed
//! header ends, whether shared objects are flagged); when none is left (the
//! data is damaged or crafted), the closest is named ([`Verdict::Unclean`]).
//!
//! [`check`] puts data through one version's checks, for callers that were
//! told the version and want to know whether the data agrees.
//!
//! Work is bounded by [`Limits`]: a candidate stops being examined after a
//! number of failures or decoded instructions, and every code object is
//! visited once however the data shares it.
//!
//! ```
//! # fn demo(data: &[u8]) {
//! let found = bytescope_detect::detect(data, &bytescope_detect::Limits::default());
//! match found.verdict() {
//!     bytescope_detect::Verdict::Unique(v) => println!("written by Python {v}"),
//!     bytescope_detect::Verdict::Tie(vs) => println!("one of {vs:?}"),
//!     _ => println!("no version reads it cleanly"),
//! }
//! # }
//! ```
#![deny(missing_docs)]

mod check;
mod failure;
mod load;

use bytescope_code::Code;
use bytescope_marshal::{CodeLayout, FLAG_REF, Format, Marshal, MarshalError, Storage, read_in};
use bytescope_pyc::{PythonVersion, header_len};

pub use failure::{Check, Failure, FailureKind};
pub use load::{Origin, ResolveError, Resolved, failures_text, resolve, versions_text};

use check::Checker;

/// Bounds on the work of one detection.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Instructions decoded per candidate before its verdict is taken on
    /// the evidence so far.
    pub max_instructions: u64,
    /// Failures after which a candidate is not examined further (it is
    /// excluded many times over).
    pub max_failures: u32,
    /// Code objects examined (each distinct one once).
    pub max_code_objects: usize,
    /// Failures kept per candidate for reporting (all are counted).
    pub kept_failures: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_instructions: 1 << 22, max_failures: 64, max_code_objects: 1 << 16, kept_failures: 8 }
    }
}

/// How one candidate version fared.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Candidate {
    /// The version.
    pub version: PythonVersion,
    /// Where the marshal data starts when read as this version (0, or past
    /// a zeroed header), if it reads at all.
    pub offset: Option<usize>,
    /// Checks made.
    pub checks: u64,
    /// Checks failed: each one evidence that this version did not write the
    /// data.
    pub failed: u64,
    /// Weak evidence against the version, used only to rank candidates
    /// that pass every check (see [`Candidate::notes`]).
    pub soft: u32,
    /// The first failures, in the order found.
    pub failures: Vec<Failure>,
    /// Weak evidence, as text.
    pub notes: Vec<&'static str>,
    /// Whether every code object was examined (no budget or failure cap
    /// was reached).
    pub complete: bool,
    #[serde(skip)]
    kept: usize,
}

impl Candidate {
    fn new(version: PythonVersion, offset: Option<usize>) -> Candidate {
        Candidate {
            version,
            offset,
            checks: 0,
            failed: 0,
            soft: 0,
            failures: Vec::new(),
            notes: Vec::new(),
            complete: true,
            kept: Limits::default().kept_failures,
        }
    }

    /// The share of checks passed, 0.0–1.0 (0.0 when nothing could be
    /// checked).
    #[must_use]
    pub fn score(&self) -> f64 {
        if self.checks == 0 {
            return 0.0;
        }
        let passed = self.checks.saturating_sub(self.failed);
        #[allow(clippy::cast_precision_loss)]
        let s = passed as f64 / self.checks as f64;
        s
    }

    /// Whether the data passes every check of this version.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.failed == 0 && self.checks > 0
    }

    fn fail(&mut self, code_offset: Option<usize>, kind: FailureKind) {
        self.failed += 1;
        if self.failures.len() < self.kept {
            self.failures.push(Failure { code_offset, kind });
        }
    }

    /// Weak evidence: counted each time, said once.
    fn note(&mut self, note: &'static str) {
        self.soft += 1;
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }
}

/// What detection concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Exactly one version passes every check.
    Unique(PythonVersion),
    /// Several versions pass every check (best ranked first): the data
    /// decodes the same under each.
    Tie(Vec<PythonVersion>),
    /// No version passes every check; this one passes the most.
    Unclean(PythonVersion),
    /// The data does not read as marshal data of any candidate version.
    Unreadable,
}

/// The result of [`detect`]: every candidate, best first.
#[derive(Clone, Debug, PartialEq)]
pub struct Detection {
    /// Every candidate version, ranked: those passing every check first
    /// (weak evidence, then the newer version, deciding among them), then
    /// the rest by share of checks passed.
    pub candidates: Vec<Candidate>,
}

impl Detection {
    /// The best candidate.
    #[must_use]
    pub fn best(&self) -> Option<&Candidate> {
        self.candidates.first().filter(|c| c.checks > 0 && c.offset.is_some())
    }

    /// The best candidate's version.
    #[must_use]
    pub fn version(&self) -> Option<PythonVersion> {
        self.best().map(|c| c.version)
    }

    /// The candidates that pass every check, best first.
    pub fn clean(&self) -> impl Iterator<Item = &Candidate> {
        self.candidates.iter().filter(|c| c.is_clean())
    }

    /// What the evidence says.
    #[must_use]
    pub fn verdict(&self) -> Verdict {
        let clean: Vec<PythonVersion> = self.clean().map(|c| c.version).collect();
        match clean.len() {
            1 => Verdict::Unique(clean[0]),
            0 => match self.best() {
                Some(c) if c.failures.first().is_none_or(|f| f.check() != Check::Marshal) => {
                    Verdict::Unclean(c.version)
                }
                _ => Verdict::Unreadable,
            },
            _ => Verdict::Tie(clean),
        }
    }

    /// The candidate for `version`, if it was one.
    #[must_use]
    pub fn candidate(&self, version: PythonVersion) -> Option<&Candidate> {
        self.candidates.iter().find(|c| c.version == version)
    }
}

/// The oldest version detection considers. 1.5–2.6 are read and listed when named
/// (`--python-version`, or a header), but their tables are transcribed, not extracted, and
/// no headerless corpus of theirs measures detection, so they stay out of the guess.
pub const OLDEST_DETECTED: PythonVersion = PythonVersion::PY27;

/// Every version detection considers: those from [`OLDEST_DETECTED`] whose code objects
/// bytescope reads and disassembles.
#[must_use]
pub fn candidate_versions() -> Vec<PythonVersion> {
    bytescope_opcodes::tables()
        .iter()
        .filter(|t| t.implementation == bytescope_pyc::Implementation::CPython)
        .map(|t| t.version)
        .filter(|&v| v >= OLDEST_DETECTED && Format::for_version(v).code_layout.is_some())
        .collect()
}

/// Detects which version wrote `data` (headerless marshal data, possibly
/// behind a zeroed or unknown header of 8, 12 or 16 bytes), among every
/// [`candidate_versions`].
#[must_use]
pub fn detect(data: &[u8], limits: &Limits) -> Detection {
    detect_among(data, &candidate_versions(), limits)
}

/// Puts `data` through the checks of `version` alone.
#[must_use]
pub fn check(data: &[u8], version: PythonVersion, limits: &Limits) -> Candidate {
    let mut d = detect_among(data, &[version], limits);
    d.candidates.pop().unwrap_or_else(|| Candidate::new(version, None))
}

/// [`detect`] among the given versions only.
#[must_use]
pub fn detect_among(data: &[u8], versions: &[PythonVersion], limits: &Limits) -> Detection {
    let starts = marshal_starts(data);
    let mut candidates = Vec::with_capacity(versions.len());
    // Versions sharing a code-object layout and string model read the same
    // bytes into the same objects; their newest member's format reads
    // everything any member's does, and the type codes are then checked
    // against each member's own format.
    let mut families: Vec<(Option<CodeLayout>, bool, Vec<PythonVersion>)> = Vec::new();
    for &v in versions {
        let f = Format::for_version(v);
        match families.iter_mut().find(|(l, py2, _)| *l == f.code_layout && *py2 == f.py2) {
            Some((_, _, members)) => members.push(v),
            None => families.push((f.code_layout, f.py2, vec![v])),
        }
    }
    for (_, _, members) in &families {
        candidates.extend(detect_family(data, &starts, members, limits));
    }
    rank(&mut candidates);
    Detection { candidates }
}

/// Where marshal data may start: at 0 when the data starts with a code
/// object, and past a header of 8, 12 or 16 bytes (zeroed, or with a magic
/// no version has) when a code object starts there.
fn marshal_starts(data: &[u8]) -> Vec<usize> {
    let mut out = code_starts(data);
    if out.is_empty() {
        out.push(0);
    }
    out
}

/// The offsets (0, 8, 12, 16) where a marshalled code object may start:
/// empty when the data cannot be headerless marshal data of a module.
#[must_use]
pub fn code_starts(data: &[u8]) -> Vec<usize> {
    let is_code = |at: usize| data.get(at).is_some_and(|b| b & 0x7f == b'c');
    [0, 8, 12, 16].into_iter().filter(|&at| is_code(at)).collect()
}

fn detect_family(
    data: &[u8],
    starts: &[usize],
    members: &[PythonVersion],
    limits: &Limits,
) -> Vec<Candidate> {
    let Some(&read_as) = members.iter().max() else { return Vec::new() };
    let format = Format::for_version(read_as);
    let mut first_err: Option<MarshalError> = None;
    let mut read: Option<(usize, Marshal<'_>)> = None;
    for &at in starts {
        match read_in(&data[at..], format, at, Storage::default()) {
            Ok(m) => {
                read = Some((at, m));
                break;
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    let Some((at, m)) = read else {
        return members
            .iter()
            .map(|&v| {
                let mut c = Candidate::new(v, None);
                c.kept = limits.kept_failures;
                c.checks = 1;
                if let Some(e) = &first_err {
                    c.fail(None, FailureKind::Unreadable(e.clone()));
                }
                c
            })
            .collect();
    };
    if m.code(m.root()).is_none() {
        let root = m.node(m.root());
        let kind = FailureKind::NotCode { code: root.code, offset: root.offset as usize };
        return members
            .iter()
            .map(|&v| {
                let mut c = Candidate::new(v, Some(at));
                c.kept = limits.kept_failures;
                c.checks = 1;
                c.fail(None, kind.clone());
                c
            })
            .collect();
    }
    let types = TypeCodes::of(&m);
    let mut checkers: Vec<Checker> = Vec::with_capacity(members.len());
    let mut out = Vec::new();
    for &v in members {
        let Some(mut ch) = Checker::new(v, at) else {
            // No opcode table: not a candidate after all.
            continue;
        };
        ch.cand.kept = limits.kept_failures;
        ch.cand.checks += 1;
        types.check(&mut ch.cand, Format::for_version(v));
        if at > 0 && at != header_len(v) {
            ch.cand.note("the zeroed header has another version's length");
        }
        checkers.push(ch);
    }
    let codes = m.codes();
    for (n, raw) in codes.iter().enumerate() {
        if n >= limits.max_code_objects {
            checkers.iter_mut().for_each(|c| c.cand.complete = false);
            break;
        }
        if checkers.iter().all(|c| c.done(limits)) {
            break;
        }
        match Code::new(&m, raw) {
            Ok(code) => {
                for ch in checkers.iter_mut().filter(|c| !c.done(limits)) {
                    ch.check_code(&code);
                }
            }
            Err(e) => {
                for ch in checkers.iter_mut().filter(|c| !c.done(limits)) {
                    ch.cand.checks += 1;
                    ch.cand.fail(Some(e.offset), FailureKind::CodeObject(e.clone()));
                }
            }
        }
    }
    for ch in checkers {
        let mut c = ch.cand;
        if c.failed >= u64::from(limits.max_failures) {
            c.complete = false;
        }
        out.push(c);
    }
    out
}

/// The type codes a stream uses, each with its first offset.
struct TypeCodes {
    first: Vec<(u8, usize)>,
}

impl TypeCodes {
    fn of(m: &Marshal<'_>) -> TypeCodes {
        let mut seen = [false; 256];
        let mut first = Vec::new();
        for n in m.nodes() {
            if !seen[usize::from(n.code)] {
                seen[usize::from(n.code)] = true;
                first.push((n.code, n.offset as usize));
            }
        }
        TypeCodes { first }
    }

    fn check(&self, c: &mut Candidate, f: Format) {
        let mut flagged = false;
        for &(code, offset) in &self.first {
            let flag = code & FLAG_REF != 0;
            flagged |= flag;
            let ty = if f.has_refs() { code & !FLAG_REF } else { code };
            if !f.knows_type(ty) {
                c.fail(None, FailureKind::MarshalType { code: ty, offset, version: c.version });
            }
        }
        // 3.4+ writers flag every object referenced more than once, the
        // code objects of a compiled module among them.
        if f.has_refs() && !flagged && !f.py2 {
            c.note("nothing is flagged for reference, as this version's writer does");
        }
    }
}

/// Best first: candidates passing every check (fewest notes, then the newer
/// version), then by share of checks passed, then by fewer failures.
fn rank(cands: &mut [Candidate]) {
    cands.sort_by(|a, b| {
        b.is_clean()
            .cmp(&a.is_clean())
            .then_with(|| b.score().total_cmp(&a.score()))
            .then_with(|| a.soft.cmp(&b.soft))
            .then_with(|| a.failed.cmp(&b.failed))
            .then_with(|| b.version.cmp(&a.version))
    });
}

#[cfg(test)]
mod tests;
