//! The PEP 626 `co_linetable` of 3.10 (`Objects/lnotab_notes.txt` of 3.10).
//!
//! Pairs `(Δbytes: u8 ≤ 254, Δline: i8)`, `-128` meaning "no line"; one
//! range of `co_lines()` per group of pairs. The line state starts at
//! `co_firstlineno` and only ranges with a line move it. Per range:
//!
//! 1. a line jump beyond ±127 first writes `(0, ±127)` pairs;
//! 2. a range longer than 254 bytes writes `(254, Δline)` and continues
//!    with `Δline` 0 (or `-128` for no line);
//! 3. then the final `(Δbytes, Δline)`.

use bytescope_code::lines::LineRange;

use super::TableError;

/// Encodes the 3.10 line table from `co_lines()` ranges (contiguous from
/// offset 0; a gap is written as part of the next range's bytes, which is
/// how the decoder would read it back anyway).
///
/// # Errors
/// [`TableError::OffsetsNotIncreasing`] for ranges out of order,
/// [`TableError::OutOfRange`] for a line outside a C `int`.
pub fn encode_linetable_310(firstlineno: i32, ranges: &[LineRange]) -> Result<Vec<u8>, TableError> {
    let mut out = Vec::with_capacity(ranges.len() * 2);
    let mut prev = firstlineno;
    let mut at = 0u64;
    for r in ranges {
        let (start, end) = (u64::from(r.start), u64::from(r.end));
        if start < at || end < start {
            return Err(TableError::OffsetsNotIncreasing { offset: start.min(end), previous: at });
        }
        let mut d_bytes = end - at;
        at = end;
        let mut d_line: i32 = match r.line {
            None => -128,
            Some(line) => {
                let Ok(line) = i32::try_from(line) else {
                    return Err(TableError::OutOfRange { what: "line", value: line });
                };
                // A C int, as in CPython (and the decoder, which wraps).
                let d = line.wrapping_sub(prev);
                prev = line;
                d
            }
        };
        if r.line.is_some() {
            while d_line > 127 {
                out.extend_from_slice(&[0, 127]);
                d_line -= 127;
            }
            while d_line < -127 {
                out.extend_from_slice(&[0, (-127i8) as u8]);
                d_line += 127;
            }
        }
        while d_bytes > 254 {
            out.extend_from_slice(&[254, d_line as i8 as u8]);
            d_bytes -= 254;
            d_line = if r.line.is_some() { 0 } else { -128 };
        }
        out.extend_from_slice(&[d_bytes as u8, d_line as i8 as u8]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytescope_code::lines::co_lines;
    use bytescope_pyc::PythonVersion;

    #[test]
    fn inverse_of_the_decoder() {
        let ranges = [
            LineRange { start: 0, end: 6, line: Some(3) },
            LineRange { start: 6, end: 8, line: None },
            LineRange { start: 8, end: 600, line: Some(400) },
            LineRange { start: 600, end: 604, line: Some(2) },
        ];
        let t = encode_linetable_310(1, &ranges).unwrap();
        // 3.10's co_lines() shows the 254-byte pieces of a long range.
        let split = [
            ranges[0],
            ranges[1],
            LineRange { start: 8, end: 262, line: Some(400) },
            LineRange { start: 262, end: 516, line: Some(400) },
            LineRange { start: 516, end: 600, line: Some(400) },
            ranges[3],
        ];
        let back = co_lines(PythonVersion::PY310, 604, 1, &t);
        assert_eq!(back, split);
        assert_eq!(encode_linetable_310(1, &back).unwrap(), t);
    }
}
