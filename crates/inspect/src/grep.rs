//! Searching constants: which `str` and `bytes` constants of a code object
//! match a pattern, and which instructions load them.
//!
//! URLs, IP addresses, base64 blobs and shell commands are what analysts
//! look for first; they sit in constants. A [`Grep`] holds the patterns
//! (regular expressions of the `regex` crate: linear-time matching, no
//! backreferences) and searches every string-like constant of a code
//! object, those nested in constant tuples and frozensets included, reporting
//! each hit with the constant's index in `co_consts` and the offsets of the
//! instructions that load it.
//!
//! Bounded for hostile input: patterns are limited in length and compiled
//! size, each distinct constant object is searched once per file however
//! many code objects share it, nested constants are walked to a fixed depth
//! and a file reports at most [`Grep::MAX_HITS`] hits.

use std::collections::HashMap;

use bytescope_code::Code;
use bytescope_dis::{Disassembler, OpValue};
use bytescope_marshal::{Marshal, ObjId, Value};
use regex::bytes::{Regex, RegexBuilder};

/// Why a pattern was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// The pattern is longer than [`Grep::MAX_PATTERN`] bytes.
    #[error("pattern of {len} bytes is longer than the {max}-byte limit")]
    TooLong {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a valid regular expression, or one whose compiled form exceeds
    /// the size limits.
    #[error("{0}")]
    Invalid(String),
}

/// Which constants a pattern applies to and how it reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A Unicode pattern over `str` constants, and over `bytes` constants
    /// (Python 2 `str` included) read as bytes: ASCII text matches in both.
    Text,
    /// A byte pattern (`\xNN` is that byte, `.` any byte but `\n`) over
    /// `bytes` constants only.
    Bytes,
}

/// The type of a matching constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstKind {
    /// `str` (Python 2: `unicode`).
    Str,
    /// `bytes` (Python 2: `str`).
    Bytes,
}

/// One constant matching one pattern.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Hit {
    /// The pattern's position in the [`Grep`].
    pub pattern: usize,
    /// The index in `co_consts` of the constant or of the tuple/frozenset
    /// holding it.
    pub index: usize,
    /// Positions inside nested constant containers (empty for a constant
    /// of `co_consts` itself).
    pub path: Vec<usize>,
    /// The constant's type.
    pub kind: ConstKind,
    /// The constant's bytes (UTF-8 for `str`, surrogates in their 3-byte
    /// form), at most [`Grep::MAX_VALUE`] of them.
    pub value: Vec<u8>,
    /// The constant's full length in bytes.
    pub len: usize,
    /// Byte range of the first match in the constant.
    pub start: usize,
    /// End of that range.
    pub end: usize,
    /// Byte offsets in `co_code` of the instructions loading the constant
    /// (`co_consts[index]`).
    pub loads: Vec<u32>,
}

/// Patterns to search constants with, and what a file has matched so far.
/// Clones share the compiled patterns (one per worker thread).
#[derive(Clone, Debug)]
pub struct Grep {
    patterns: Vec<(Regex, Mode)>,
    /// Per file: each constant object's first match per pattern.
    seen: HashMap<(ObjId, usize), Option<(usize, usize)>>,
    hits: usize,
}

impl Grep {
    /// The longest pattern accepted, in bytes.
    pub const MAX_PATTERN: usize = 4096;
    /// Compiled size limit of a pattern (the `regex` crate's size limit).
    pub const SIZE_LIMIT: usize = 1 << 20;
    /// Hits reported per file.
    pub const MAX_HITS: usize = 10_000;
    /// Bytes of a constant kept in a [`Hit`].
    pub const MAX_VALUE: usize = 1024;
    /// Depth of nested constant tuples and frozensets searched.
    pub const MAX_DEPTH: usize = 8;

    /// An empty set of patterns.
    #[must_use]
    pub fn new() -> Grep {
        Grep { patterns: Vec::new(), seen: HashMap::new(), hits: 0 }
    }

    /// Adds a pattern.
    ///
    /// # Errors
    /// [`PatternError`] for a pattern too long, invalid, or too large
    /// compiled.
    pub fn add(&mut self, pattern: &str, mode: Mode) -> Result<(), PatternError> {
        if pattern.len() > Self::MAX_PATTERN {
            return Err(PatternError::TooLong { len: pattern.len(), max: Self::MAX_PATTERN });
        }
        let re = RegexBuilder::new(pattern)
            .unicode(mode == Mode::Text)
            .size_limit(Self::SIZE_LIMIT)
            .dfa_size_limit(4 * Self::SIZE_LIMIT)
            .nest_limit(64)
            .build()
            .map_err(|e| PatternError::Invalid(e.to_string()))?;
        self.patterns.push((re, mode));
        Ok(())
    }

    /// The pattern texts, in order.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|(re, _)| re.as_str())
    }

    /// Whether there are no patterns.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Forgets what the last file matched (call before each file).
    pub fn start_file(&mut self) {
        self.seen.clear();
        self.hits = 0;
    }

    /// The constants of `code` matching any pattern, in `co_consts` order,
    /// with the instructions that load them (decoded by `dis`).
    pub fn search(&mut self, code: &Code<'_, '_>, dis: &Disassembler) -> Vec<Hit> {
        if self.patterns.is_empty() {
            return Vec::new();
        }
        let m = code.marshal();
        let mut hits = Vec::new();
        for (index, &id) in code.consts.iter().enumerate() {
            let mut path = Vec::new();
            self.walk(m, id, index, &mut path, 0, &mut hits);
        }
        if !hits.is_empty() {
            let mut loads: HashMap<usize, Vec<u32>> = HashMap::new();
            let resolved: Vec<ObjId> = code.consts.iter().map(|&c| m.resolve(c)).collect();
            for op in dis.ops(code) {
                if let OpValue::Const(id) = op.value {
                    let id = m.resolve(id);
                    for (i, &c) in resolved.iter().enumerate() {
                        if c == id {
                            loads.entry(i).or_default().push(op.offset);
                        }
                    }
                }
            }
            for h in &mut hits {
                h.loads = loads.get(&h.index).cloned().unwrap_or_default();
            }
        }
        hits
    }

    fn walk(
        &mut self,
        m: &Marshal<'_>,
        id: ObjId,
        index: usize,
        path: &mut Vec<usize>,
        depth: usize,
        out: &mut Vec<Hit>,
    ) {
        if self.hits >= Self::MAX_HITS {
            return;
        }
        let id = m.resolve(id);
        let (bytes, kind) = match m.get(id) {
            Value::Str { .. } => match m.text(id) {
                Some(t) => (t, ConstKind::Str),
                None => return,
            },
            Value::Bytes(b) => (std::borrow::Cow::Borrowed(*b), ConstKind::Bytes),
            Value::Tuple(items) | Value::FrozenSet(items) | Value::List(items) | Value::Set(items) => {
                if depth >= Self::MAX_DEPTH {
                    return;
                }
                for (i, &child) in m.items(*items).iter().enumerate() {
                    path.push(i);
                    self.walk(m, child, index, path, depth + 1, out);
                    path.pop();
                }
                return;
            }
            _ => return,
        };
        for p in 0..self.patterns.len() {
            let (re, mode) = &self.patterns[p];
            if *mode == Mode::Bytes && kind != ConstKind::Bytes {
                continue;
            }
            let found =
                *self.seen.entry((id, p)).or_insert_with(|| re.find(&bytes).map(|mt| (mt.start(), mt.end())));
            let Some((start, end)) = found else { continue };
            if self.hits >= Self::MAX_HITS {
                return;
            }
            self.hits += 1;
            out.push(Hit {
                pattern: p,
                index,
                path: path.clone(),
                kind,
                value: bytes[..bytes.len().min(Self::MAX_VALUE)].to_vec(),
                len: bytes.len(),
                start,
                end,
                loads: Vec::new(),
            });
        }
    }
}

impl Default for Grep {
    fn default() -> Self {
        Grep::new()
    }
}
