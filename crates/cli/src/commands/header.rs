//! `bytescope header`: what the .pyc header says.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use bytescope_pyc::{Freshness, Invalidation, PycHeader, SourceInfo, check_source, hex, parse_header};

use bytescope_detect::{Candidate, Limits, Origin, ResolveError, Verdict};
use bytescope_marshal::Storage;

use crate::output::{Format, InputArgs, for_each_file};
use crate::records;

/// Show a .pyc header: magic, CPython version, flags, mtime/size or hash
///
/// The magic number and the CPython version that wrote the file, PEP 552
/// flags, and the source's mtime and size or its hash.
///
/// --json prints JSON Lines, one record per file (schema:
/// docs/schemas/header.schema.json): path, member, python ("X.Y"), version
/// (the same), version_detected (false), implementation (CPython, PyPy), magic,
/// magic_hex, header_size (8, 12 or 16), flags (null before 3.7),
/// hash_based, check_source, mtime, source_size, source_hash (hex), then
/// release (the CPython release that introduced the magic), final_magic,
/// invalidation (timestamp, checked-hash, unchecked-hash), mtime_utc and
/// source_check (null, or {"status": "up_to_date"|"stale", "checked" or
/// "reason", "cpython_checks"}).
///
/// Input without a usable header (stripped, zeroed, an unknown magic; raw
/// marshal data) gets its version from the data: detected, or the
/// --python-version given and checked (see --help of the inputs). Text says
/// how and lists the best candidates; --json gives version,
/// version_detected (true), verdict (unique, tie, unclean, given, forced),
/// marshal_offset and the ranked candidates (version, score: the share of
/// checks passed, clean, checks, failed, failures, notes), with the header
/// fields null.
///
/// With --source, also say whether the .pyc is up to date for that source, as
/// the pyc's own CPython would decide: mtime and size for timestamp pycs, the
/// SipHash of the source (2-4 up to 3.10, 1-3 from 3.11, keyed with the magic)
/// for hash-based ones. The exit status is 1 when it is stale, so scripts can
/// test it. An unchecked-hash pyc is compared too, and the report says that
/// CPython loads it without checking the source (cpython_checks: false;
/// unless run with --check-hash-based-pycs always).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,

    /// Print JSON (one object per file) instead of text.
    #[arg(long)]
    json: bool,

    /// Check the .pyc against this source file (only with a single FILE).
    #[arg(long, value_name = "FILE.py")]
    pub source: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let source = match &args.source {
        Some(path) => {
            anyhow::ensure!(args.input.files.len() == 1, "--source needs exactly one .pyc FILE");
            let (bytes, meta) = bytescope_batch::read_file_with_metadata(path, &args.input.limits())
                .map_err(|e| anyhow::anyhow!("{}: {e}", crate::text::path(path)))?;
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            let mtime = modified
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            Some((bytes, mtime))
        }
        None => None,
    };
    for_each_file(&args.input, if args.json { Format::Json } else { Format::Text }, |item, data, out, ctx| {
        let header = match parse_header(data) {
            Ok(h) => h,
            Err(e) => return headerless(args, item, data, e, out),
        };
        let fresh =
            source.as_ref().map(|(bytes, mtime)| check_source(&header, &SourceInfo { bytes, mtime: *mtime }));
        ctx.unhappy = matches!(fresh, Some(Freshness::Stale { .. }));
        if args.json {
            records::per_file(out, item, &json(&header, fresh.as_ref()));
            return Ok(());
        }
        out.write_all(text(&header, fresh.as_ref()).as_bytes()).map_err(|e| e.to_string())
    })
}

/// A file without a usable header: what the data says about its version
/// (detected, or the --python-version given, checked).
fn headerless(
    args: &Args,
    item: &bytescope_batch::Source,
    data: &[u8],
    e: bytescope_pyc::HeaderError,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let limits = Limits::default();
    let input = &args.input;
    let resolved =
        bytescope_detect::resolve(data, input.python_version, input.force, &limits, Storage::default());
    let r = match resolved {
        Ok(r) => r,
        // Not headerless marshal data: the header's own error.
        Err(ResolveError::Header(_)) => return Err(e.to_string()),
        Err(other) => return Err(other.to_string()),
    };
    let (version, offset) = (r.pyc.version(), r.pyc.marshal_offset);
    let (detected, candidates): (bool, Vec<&Candidate>) = match &r.origin {
        Origin::Detected(d) => (true, d.candidates.iter().collect()),
        Origin::Given(c) | Origin::Forced(c) => (false, vec![c]),
        Origin::Header => (false, Vec::new()),
    };
    let verdict = match &r.origin {
        Origin::Detected(d) => match d.verdict() {
            Verdict::Unique(_) => "unique",
            Verdict::Tie(_) => "tie",
            _ => "unclean",
        },
        Origin::Given(_) => "given",
        _ => "forced",
    };
    if args.json {
        let cands: Vec<serde_json::Value> = candidates
            .iter()
            .map(|c| {
                serde_json::json!({
                    "version": c.version.to_string(),
                    "score": (c.score() * 1e6).round() / 1e6,
                    "clean": c.is_clean(),
                    "checks": c.checks,
                    "failed": c.failed,
                    "failures": c.failures.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "notes": c.notes,
                })
            })
            .collect();
        let v = serde_json::json!({
            "python": version.to_string(),
            "version": version.to_string(),
            "version_detected": detected,
            "verdict": verdict,
            "implementation": null,
            "marshal_offset": offset,
            "candidates": cands,
            "magic": null, "magic_hex": null, "header_size": null, "flags": null, "hash_based": null,
            "check_source": null, "mtime": null, "source_size": null, "source_hash": null, "release": null,
            "final_magic": null, "invalidation": null, "mtime_utc": null, "source_check": null,
        });
        records::per_file(out, item, &format!("{v}\n"));
        return Ok(());
    }
    let mut s = String::new();
    let why = match e {
        bytescope_pyc::HeaderError::UnknownMagic { magic, .. } => format!("unknown magic number {magic}"),
        bytescope_pyc::HeaderError::BadMagic { .. } => "the first bytes are no magic number".to_owned(),
        _ => "the header is missing or zeroed".to_owned(),
    };
    let _ = writeln!(s, "magic:        none ({why})");
    let how = match &r.origin {
        Origin::Detected(_) => r.origin.note().unwrap_or_default(),
        Origin::Given(_) => "given by --python-version; the data passes its checks".to_owned(),
        _ => r.origin.note().unwrap_or_default(),
    };
    let _ = writeln!(s, "version:      {version} ({how})");
    let _ = writeln!(s, "marshal data: at offset {offset:#x}");
    if detected {
        let ranked: Vec<String> = candidates
            .iter()
            .take(5)
            .map(|c| {
                if c.is_clean() {
                    format!("{} (passes all {} checks)", c.version, c.checks)
                } else {
                    format!("{} ({} of {} checks fail)", c.version, c.failed, c.checks)
                }
            })
            .collect();
        let _ = writeln!(s, "candidates:   {}", ranked.join(", "));
    }
    out.write_all(s.as_bytes()).map_err(|e| e.to_string())
}

fn invalidation_name(inv: &Invalidation) -> &'static str {
    match inv {
        Invalidation::Timestamp { .. } => "timestamp",
        Invalidation::CheckedHash { .. } => "checked-hash",
        Invalidation::UncheckedHash { .. } => "unchecked-hash",
    }
}

fn text(h: &PycHeader, fresh: Option<&Freshness>) -> String {
    let mut s = String::new();
    let m = h.magic.magic.to_le_bytes();
    let _ = writeln!(s, "magic:        {} ({})", h.magic.magic, hex(&[m[0], m[1], b'\r', b'\n']));
    let release = if h.magic.is_final { String::new() } else { format!(" (magic of {})", h.magic.release) };
    let implementation = match h.magic.implementation {
        bytescope_pyc::Implementation::CPython => String::new(),
        other => format!(" ({other})"),
    };
    let _ = writeln!(s, "version:      {}{implementation}{release}", h.version());
    let _ = writeln!(s, "header size:  {} bytes", h.len);
    if let Some(flags) = h.flags {
        let _ = writeln!(s, "flags:        {flags:#x} ({})", invalidation_name(&h.invalidation));
    }
    match h.invalidation {
        Invalidation::Timestamp { mtime, source_size } => {
            let _ = writeln!(s, "mtime:        {} ({mtime})", utc(mtime));
            if let Some(size) = source_size {
                let _ = writeln!(s, "source size:  {size}");
            }
        }
        Invalidation::CheckedHash { hash } | Invalidation::UncheckedHash { hash } => {
            let _ = writeln!(s, "source hash:  {}", hex(&hash));
        }
    }
    let unchecked = matches!(h.invalidation, Invalidation::UncheckedHash { .. });
    match fresh {
        Some(Freshness::UpToDate { checked }) if unchecked => {
            let _ = writeln!(
                s,
                "source:       up to date ({checked} match); unchecked-hash pyc: CPython loads it without checking"
            );
        }
        Some(Freshness::UpToDate { checked }) => {
            let _ = writeln!(s, "source:       up to date ({checked} match)");
        }
        Some(Freshness::Stale { reason }) if unchecked => {
            let _ = writeln!(
                s,
                "source:       stale ({reason}); unchecked-hash pyc: CPython loads it anyway, without checking"
            );
        }
        Some(Freshness::Stale { reason }) => {
            let _ = writeln!(s, "source:       stale ({reason})");
        }
        None => {}
    }
    s
}

fn json(h: &PycHeader, fresh: Option<&Freshness>) -> String {
    let m = h.magic.magic.to_le_bytes();
    let (hash_based, check_source, mtime, size, hash) = match h.invalidation {
        Invalidation::Timestamp { mtime, source_size } => (false, None, Some(mtime), source_size, None),
        Invalidation::CheckedHash { hash } => (true, Some(true), None, None, Some(hex(&hash))),
        Invalidation::UncheckedHash { hash } => (true, Some(false), None, None, Some(hex(&hash))),
    };
    let v = serde_json::json!({
        "python": h.version().to_string(),
        "version": h.version().to_string(),
        "version_detected": false,
        "implementation": h.magic.implementation.name(),
        "magic": h.magic.magic,
        "magic_hex": hex(&[m[0], m[1], b'\r', b'\n']),
        "header_size": h.len,
        "flags": h.flags,
        "hash_based": hash_based,
        "check_source": check_source,
        "mtime": mtime,
        "source_size": size,
        "source_hash": hash,
        "release": h.magic.release,
        "final_magic": h.magic.is_final,
        "invalidation": invalidation_name(&h.invalidation),
        "mtime_utc": mtime.map(utc),
        "source_check": fresh.map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                // CPython's default (--check-hash-based-pycs default) skips
                // the check for unchecked-hash pycs.
                o.insert("cpython_checks".to_owned(), (check_source != Some(false)).into());
            }
            v
        }),
    });
    format!("{v}\n")
}

/// `YYYY-MM-DD HH:MM:SS UTC` for seconds since the epoch.
fn utc(secs: u32) -> String {
    let secs = i64::from(secs);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (proleptic Gregorian), era-based.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(super::utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(super::utc(951_782_400), "2000-02-29 00:00:00 UTC");
    }
}
