//! `co_lnotab` (2.x–3.9; `Objects/lnotab_notes.txt`, `assemble_lnotab` in
//! `Python/compile.c`).
//!
//! Pairs `(Δbytes: u8, Δline)`, starting from `(0, co_firstlineno)`. The line
//! delta is unsigned up to 3.5 and an `i8` from 3.6. Large deltas split as
//! CPython splits them:
//!
//! - bytes: `(255, 0)` while more than 255 remain;
//! - lines, up to 3.5: `(Δbytes, 255)` once, then `(0, 255)`, while more
//!   than 255 remain;
//! - lines, 3.6+: with `k = 127` (up) or `-128` (down) and `n = Δ / 127` (up)
//!   or `-Δ / 128` (down): `(Δbytes, k)`, then `n - 1` times `(0, k)`;
//! - then the final `(Δbytes, Δline)`.
//!
//! Which events make pairs is the version's: up to 3.8 the compiler gives
//! the first instruction of each statement a line, and any event with a
//! byte or line delta makes a pair (so a second statement on the same line
//! writes `(Δbytes, 0)`); 3.9 writes a pair only when the line changes.
//! Callers pass the events they have: a line-start list re-encodes the
//! pairs of unedited 3.9 code exactly, and of older code where no two
//! statements share a line and the peephole optimizer removed nothing
//! (see `docs/write.md` for the measured rates).

use bytescope_pyc::PythonVersion;

use super::TableError;

/// Encodes `co_lnotab` for `version` from `(byte offset, line)` events in
/// offset order.
///
/// # Errors
/// [`TableError::OffsetsNotIncreasing`] for events out of order,
/// [`TableError::LineGoesBack`] for a decreasing line before 3.6.
pub fn encode_lnotab(
    version: PythonVersion,
    firstlineno: i32,
    events: &[(u64, i64)],
) -> Result<Vec<u8>, TableError> {
    let signed = version >= PythonVersion::PY36;
    let only_changes = version >= PythonVersion::PY39;
    let mut out = Vec::with_capacity(events.len() * 2);
    let (mut last_off, mut last_line) = (0u64, i64::from(firstlineno));
    for &(off, line) in events {
        if off < last_off {
            return Err(TableError::OffsetsNotIncreasing { offset: off, previous: last_off });
        }
        let mut d_bytes = off - last_off;
        let mut d_line = line - last_line;
        if d_line == 0 && (only_changes || d_bytes == 0) {
            continue;
        }
        while d_bytes > 255 {
            out.extend_from_slice(&[255, 0]);
            d_bytes -= 255;
        }
        if signed {
            if !(-128..=127).contains(&d_line) {
                let (k, n) = if d_line < 0 { (-128i64, -d_line / 128) } else { (127, d_line / 127) };
                d_line -= n * k;
                out.extend_from_slice(&[d_bytes as u8, k as i8 as u8]);
                for _ in 1..n {
                    out.extend_from_slice(&[0, k as i8 as u8]);
                }
                d_bytes = 0;
            }
            out.extend_from_slice(&[d_bytes as u8, d_line as i8 as u8]);
        } else {
            if d_line < 0 {
                return Err(TableError::LineGoesBack { line, previous: last_line, offset: off, version });
            }
            if d_line > 255 {
                let n = d_line / 255;
                out.extend_from_slice(&[d_bytes as u8, 255]);
                for _ in 1..n {
                    out.extend_from_slice(&[0, 255]);
                }
                d_line -= n * 255;
                d_bytes = 0;
            }
            out.extend_from_slice(&[d_bytes as u8, d_line as u8]);
        }
        (last_off, last_line) = (off, line);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_cpython() {
        let v36 = PythonVersion::PY36;
        // +300 lines at byte 4, then -501 at byte 600.
        let t = encode_lnotab(v36, 1, &[(0, 1), (4, 301), (600, -200)]).unwrap();
        #[rustfmt::skip]
        let want = [
            4, 127, 0, 127,     // 300 = 2*127 + 46
            0, 46,
            255, 0, 255, 0,     // 596 bytes = 255 + 255 + 86
            86, 128,            // -501 = -128*3 - 117: (86, -128), (0, -128) x2
            0, 128, 0, 128,
            0, 139,             // -117
        ];
        assert_eq!(t, want);
        let t27 = encode_lnotab(PythonVersion::PY27, 1, &[(0, 1), (4, 600)]).unwrap();
        assert_eq!(t27, [4, 255, 0, 255, 0, 89]);
        assert!(encode_lnotab(PythonVersion::PY27, 5, &[(2, 4)]).is_err());
        // A second statement on the same line: a (4, 0) pair up to 3.8.
        assert_eq!(encode_lnotab(PythonVersion::PY38, 1, &[(0, 1), (4, 1), (6, 2)]).unwrap(), [4, 0, 2, 1]);
        assert_eq!(encode_lnotab(PythonVersion::PY39, 1, &[(0, 1), (4, 1), (6, 2)]).unwrap(), [6, 1]);
    }
}
