//! Loading input whose header may be missing: the version from the header,
//! from the caller (checked against the data), or detected.

use bytescope_marshal::{Format, LoadError, MarshalError, Pyc, Storage, load_pyc_in, read_in};
use bytescope_pyc::{HeaderError, PythonVersion, parse_header};

use crate::{Candidate, Detection, Limits, Verdict, check, detect};

/// How the version of loaded data was decided.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// From the .pyc header.
    Header,
    /// Given by the caller; the data passes every check of that version.
    Given(Candidate),
    /// Given by the caller and forced although the data fails some of the
    /// version's checks (the candidate holds which).
    Forced(Candidate),
    /// Detected (see [`Detection::verdict`]).
    Detected(Detection),
}

/// Loaded data and how its version was decided.
#[derive(Debug)]
pub struct Resolved<'a> {
    /// The data.
    pub pyc: Pyc<'a>,
    /// Where its version came from.
    pub origin: Origin,
}

/// Why input could not be loaded.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The header is unusable and no detection applies (a file of another
    /// implementation, a truncated header).
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// Malformed marshal data under the version chosen.
    #[error(transparent)]
    Marshal(#[from] MarshalError),
    /// The data fails checks of the version given.
    #[error("{}", given_message(.candidate, .detected.as_ref()))]
    Inconsistent {
        /// The version given and what failed.
        candidate: Candidate,
        /// What detection found instead.
        detected: Option<Detection>,
    },
    /// No version reads the data cleanly.
    #[error("{}", unclean_message(.0))]
    Undetected(Detection),
}

impl From<LoadError> for ResolveError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Header(h) => ResolveError::Header(h),
            LoadError::Marshal(m) => ResolveError::Marshal(m),
            // LoadError is non-exhaustive; a future kind reads as a header
            // problem.
            #[allow(unreachable_patterns)]
            _ => ResolveError::Header(HeaderError::TooShort { len: 0 }),
        }
    }
}

/// The failures of a candidate as one clause: `3 of 120 checks failed
/// (opcode 121 at 10 is not defined in ..., ...)`.
#[must_use]
pub fn failures_text(c: &Candidate, max: usize) -> String {
    let shown: Vec<String> = c.failures.iter().take(max).map(ToString::to_string).collect();
    let more = if c.failed > shown.len() as u64 { ", ..." } else { "" };
    format!("{} of {} checks failed ({}{more})", c.failed, c.checks, shown.join("; "))
}

fn given_message(c: &Candidate, detected: Option<&Detection>) -> String {
    let mut s = format!("the data is not Python {} bytecode: {}", c.version, failures_text(c, 3));
    if let Some(d) = detected {
        match d.verdict() {
            Verdict::Unique(v) => s.push_str(&format!("; it reads as Python {v}")),
            Verdict::Tie(vs) => s.push_str(&format!("; it reads as Python {}", versions_text(&vs))),
            _ => {}
        }
    }
    s.push_str(&format!(
        " (at offset {:#x}); pass --force to read it as {} anyway",
        c.offset.unwrap_or(0),
        c.version
    ));
    s
}

fn unclean_message(d: &Detection) -> String {
    match d.best() {
        Some(c) => format!(
            "no Python version reads this headerless data cleanly; closest is {}: {} (at offset {:#x}); pass --python-version X.Y, or --force to read it as {}",
            c.version,
            failures_text(c, 3),
            c.offset.unwrap_or(0),
            c.version
        ),
        None => {
            let err = d
                .candidates
                .iter()
                .flat_map(|c| c.failures.first())
                .next()
                .map_or_else(|| "no code object".to_owned(), ToString::to_string);
            format!("not marshal data of any Python version bytescope knows: {err}")
        }
    }
}

/// `3.6 or 3.7`, `3.8, 3.9 or 3.10`.
#[must_use]
pub fn versions_text(vs: &[PythonVersion]) -> String {
    let names: Vec<String> = vs.iter().map(ToString::to_string).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// Whether a header error means "no usable header": stripped, zeroed, or a
/// magic that is not one (an unknown number, bytes 2-3 not `\r\n`).
fn headerless(e: &HeaderError) -> bool {
    matches!(
        e,
        HeaderError::Stripped { .. } | HeaderError::BadMagic { .. } | HeaderError::UnknownMagic { .. }
    )
}

/// Loads `data`: with a valid header, as its version; without one, as
/// `given` if the data passes that version's checks (or `force`), else as
/// the version detected when there is one reading it cleanly (or `force`,
/// taking the closest).
///
/// # Errors
/// [`ResolveError`]: the header or marshal error, the checks `given` fails,
/// or no version detected.
pub fn resolve<'a>(
    data: &'a [u8],
    given: Option<PythonVersion>,
    force: bool,
    limits: &Limits,
    storage: Storage,
) -> Result<Resolved<'a>, ResolveError> {
    match parse_header(data) {
        Ok(_) => {
            let pyc = load_pyc_in(data, None, storage)?;
            return Ok(Resolved { pyc, origin: Origin::Header });
        }
        // Only data that starts with a code object (or has one past a
        // header of a known length) is headerless marshal data; anything
        // else keeps the header's error.
        Err(e) if !headerless(&e) || crate::code_starts(data).is_empty() => return Err(e.into()),
        Err(_) => {}
    }
    if let Some(v) = given {
        let c = check(data, v, limits);
        if !c.is_clean() && !force {
            let detected = Some(detect(data, limits));
            return Err(ResolveError::Inconsistent { candidate: c, detected });
        }
        let Some(at) = c.offset else {
            // Unreadable as that version: the marshal error itself.
            let pyc = read_at(data, v, 0, storage)?;
            return Ok(Resolved { pyc, origin: Origin::Forced(c) });
        };
        let pyc = read_at(data, v, at, storage)?;
        let origin = if c.is_clean() { Origin::Given(c) } else { Origin::Forced(c) };
        return Ok(Resolved { pyc, origin });
    }
    let d = detect(data, limits);
    let chosen = match d.verdict() {
        Verdict::Unique(_) | Verdict::Tie(_) => d.best().cloned(),
        Verdict::Unclean(_) if force => d.best().cloned(),
        _ => None,
    };
    let Some(c) = chosen else { return Err(ResolveError::Undetected(d)) };
    let pyc = read_at(data, c.version, c.offset.unwrap_or(0), storage)?;
    Ok(Resolved { pyc, origin: Origin::Detected(d) })
}

fn read_at(data: &[u8], v: PythonVersion, at: usize, storage: Storage) -> Result<Pyc<'_>, MarshalError> {
    let rest = data.get(at..).unwrap_or_default();
    let marshal = read_in(rest, Format::for_version(v), at, storage)?;
    let end = marshal.end_offset();
    Ok(Pyc { header: None, marshal, marshal_offset: at, trailing: data.get(end..).unwrap_or_default() })
}

impl Origin {
    /// What a user should be told about the version choice, if anything: a
    /// detected version (and the versions it ties with), or the checks a
    /// forced version fails.
    #[must_use]
    pub fn note(&self) -> Option<String> {
        match self {
            Origin::Header | Origin::Given(_) => None,
            Origin::Forced(c) => {
                Some(format!("read as Python {} (forced) although {}", c.version, failures_text(c, 3)))
            }
            Origin::Detected(d) => {
                let best = d.best()?;
                Some(match d.verdict() {
                    Verdict::Unique(v) => {
                        format!("no .pyc header: detected Python {v} (every other version fails its checks)")
                    }
                    Verdict::Tie(vs) => format!(
                        "no .pyc header: read as Python {}; the data decodes the same as Python {} (these versions cannot be told apart)",
                        best.version,
                        versions_text(&vs)
                    ),
                    _ => format!(
                        "no .pyc header and no version reads it cleanly: read as the closest, Python {} (forced), although {}",
                        best.version,
                        failures_text(best, 3)
                    ),
                })
            }
        }
    }
}
