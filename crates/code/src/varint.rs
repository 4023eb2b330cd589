//! The two variable-length integer encodings of CPython 3.11+ code objects.
//!
//! Both encodings store 6 bits of payload per byte and use bit 6 (`0x40`) as
//! "another byte follows". They differ in chunk order and in what bit 7 means:
//!
//! | table | chunk order | bit 7 (`0x80`) | reader in CPython |
//! |---|---|---|---|
//! | location table (`co_linetable`, 3.11+) | **LSB first** | marks the first byte of a location entry; never set in a varint | `read_varint` in `Objects/codeobject.c` |
//! | exception table (`co_exceptiontable`, 3.11+) | **MSB first** | marks the first byte of an exception entry | `dis._parse_varint` (ignores bit 7) |
//!
//! The location table also has a signed flavour (`svarint`): the unsigned value
//! `u` stands for `-(u >> 1)` when `u & 1`, else for `u >> 1` (so `-0` exists
//! and `i32::MIN` cannot be written).
//!
//! See `Objects/locations.md` (3.11–3.13), "Format of the locations table" in
//! `InternalDocs/code_objects.md` (3.14+) and `Objects/exception_handling_notes.txt`.
//!
//! Each encoding has a *checked* reader that reports truncation and overflow.
//! The location-table flavour also has a [`read_location_varint_lenient`]
//! reader that reproduces what CPython's C reader does on bad input, which the
//! [`crate::lines`] decoders use so their output matches the interpreter.

/// A varint could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VarintError {
    /// The data ended before the varint did.
    #[error("truncated varint: expected a byte at offset {offset}")]
    Truncated {
        /// Offset of the missing byte (the length of the data).
        offset: usize,
    },
    /// The value does not fit the reader's integer type.
    #[error("varint starting at offset {offset} does not fit in {bits} bits")]
    Overflow {
        /// Offset of the varint's first byte.
        offset: usize,
        /// Width of the integer type the reader returns.
        bits: u32,
    },
}

const PAYLOAD: u8 = 0x3f;
const CONTINUE: u8 = 0x40;

/// Reads an unsigned location-table varint (LSB-first 6-bit chunks) starting
/// at `offset`, returning the value and the offset just past it.
///
/// # Errors
/// [`VarintError::Truncated`] if `data` ends inside the varint,
/// [`VarintError::Overflow`] if a set bit would land at or above bit 32.
pub fn read_location_varint(data: &[u8], offset: usize) -> Result<(u32, usize), VarintError> {
    let mut value: u32 = 0;
    let mut shift: u32 = 0;
    let mut pos = offset;
    loop {
        let byte = *data.get(pos).ok_or(VarintError::Truncated { offset: pos })?;
        pos += 1;
        let chunk = u32::from(byte & PAYLOAD);
        if chunk != 0 {
            if shift >= 32 || (chunk << shift) >> shift != chunk {
                return Err(VarintError::Overflow { offset, bits: 32 });
            }
            value |= chunk << shift;
        }
        if byte & CONTINUE == 0 {
            return Ok((value, pos));
        }
        shift = shift.saturating_add(6);
    }
}

/// Reads a location-table varint exactly as CPython's C reader does, which
/// never fails:
///
/// - a byte past the end of `data` reads as `0`. The bytes object that holds
///   the table always ends in a NUL, so this is exact for the first byte past
///   the end; CPython reads heap memory after that, which cannot be reproduced;
/// - chunks are shifted into a 32-bit unsigned int with the shift count taken
///   modulo 32 (x86 `shl`, as the interpreters here do), so over-long varints
///   wrap instead of failing.
///
/// Returns the value and the offset just past the varint (at most
/// `data.len() + 1`).
#[must_use]
pub fn read_location_varint_lenient(data: &[u8], offset: usize) -> (u32, usize) {
    let mut pos = offset;
    let mut byte = data.get(pos).copied().unwrap_or(0);
    pos = pos.saturating_add(1);
    let mut value = u32::from(byte & PAYLOAD);
    let mut shift: u32 = 0;
    while byte & CONTINUE != 0 {
        byte = data.get(pos).copied().unwrap_or(0);
        pos = pos.saturating_add(1);
        shift = shift.wrapping_add(6);
        value |= u32::from(byte & PAYLOAD).wrapping_shl(shift);
    }
    (value, pos)
}

/// Converts an unsigned location-table varint to its signed meaning:
/// `u & 1 ? -(u >> 1) : u >> 1`.
#[must_use]
pub fn svarint_value(u: u32) -> i32 {
    // u >> 1 < 2^31, so the cast is lossless.
    let magnitude = (u >> 1) as i32;
    if u & 1 == 0 { magnitude } else { -magnitude }
}

/// Reads a signed location-table varint (see [`svarint_value`]).
///
/// # Errors
/// As [`read_location_varint`].
pub fn read_location_svarint(data: &[u8], offset: usize) -> Result<(i32, usize), VarintError> {
    let (u, next) = read_location_varint(data, offset)?;
    Ok((svarint_value(u), next))
}

/// Reads an exception-table varint (MSB-first 6-bit chunks) starting at
/// `offset`, returning the value and the offset just past it. Bit 7 is
/// ignored, as `dis._parse_varint` ignores it.
///
/// # Errors
/// [`VarintError::Truncated`] if `data` ends inside the varint,
/// [`VarintError::Overflow`] if the value needs more than 64 bits (Python
/// would carry on with a big int).
pub fn read_exception_varint(data: &[u8], offset: usize) -> Result<(u64, usize), VarintError> {
    let mut pos = offset;
    let mut byte = *data.get(pos).ok_or(VarintError::Truncated { offset: pos })?;
    pos += 1;
    let mut value = u64::from(byte & PAYLOAD);
    while byte & CONTINUE != 0 {
        byte = *data.get(pos).ok_or(VarintError::Truncated { offset: pos })?;
        pos += 1;
        if value >> 58 != 0 {
            return Err(VarintError::Overflow { offset, bits: 64 });
        }
        value = (value << 6) | u64::from(byte & PAYLOAD);
    }
    Ok((value, pos))
}

/// Appends `value` as a location-table varint (LSB first), the inverse of
/// [`read_location_varint`].
pub fn write_location_varint(out: &mut Vec<u8>, value: u32) {
    let mut rest = value;
    while rest >= 0x40 {
        out.push(CONTINUE | (rest & 0x3f) as u8);
        rest >>= 6;
    }
    out.push(rest as u8);
}

/// Appends `value` as a signed location-table varint, the inverse of
/// [`read_location_svarint`]. `i32::MIN` has no encoding that a 32-bit reader
/// accepts; it is written as magnitude `2^31`, which [`read_location_varint`]
/// rejects as overflow.
pub fn write_location_svarint(out: &mut Vec<u8>, value: i32) {
    let u = (u64::from(value.unsigned_abs()) << 1) | u64::from(value < 0);
    let mut rest = u;
    while rest >= 0x40 {
        out.push(CONTINUE | (rest & 0x3f) as u8);
        rest >>= 6;
    }
    out.push(rest as u8);
}

/// Appends `value` as an exception-table varint (MSB first), setting bit 7 on
/// the first byte when `entry_start` is true. The inverse of
/// [`read_exception_varint`].
pub fn write_exception_varint(out: &mut Vec<u8>, value: u64, entry_start: bool) {
    let mut shift = 0u32;
    while shift < 60 && value >> (shift + 6) != 0 {
        shift += 6;
    }
    let mut first = true;
    loop {
        let mut byte = ((value >> shift) & 0x3f) as u8;
        if shift > 0 {
            byte |= CONTINUE;
        }
        if first && entry_start {
            byte |= 0x80;
        }
        first = false;
        out.push(byte);
        if shift == 0 {
            break;
        }
        shift -= 6;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_varint_single_and_multi_byte() {
        #[rustfmt::skip]
        let data = [
            0x05,       // 5, no continue bit
            0x41,       // chunk 1, continue
            0x3f,       // chunk 63 << 6 -> 1 + 4032 = 4033
            0x40,       // chunk 0, continue
            0x40,       // chunk 0 << 6, continue
            0x01,       // chunk 1 << 12 -> 4096
        ];
        assert_eq!(read_location_varint(&data, 0), Ok((5, 1)));
        assert_eq!(read_location_varint(&data, 1), Ok((4033, 3)));
        assert_eq!(read_location_varint(&data, 3), Ok((4096, 6)));
    }

    #[test]
    fn location_varint_truncated_and_overflow() {
        #[rustfmt::skip]
        let truncated = [
            0x41,       // chunk 1, continue ... but nothing follows
        ];
        assert_eq!(read_location_varint(&truncated, 0), Err(VarintError::Truncated { offset: 1 }));
        #[rustfmt::skip]
        let max = [
            0x7f, 0x7f, 0x7f, 0x7f, 0x7f, // 30 bits of ones, continue
            0x03,                         // bits 30-31 -> u32::MAX
        ];
        assert_eq!(read_location_varint(&max, 0), Ok((u32::MAX, 6)));
        #[rustfmt::skip]
        let too_big = [
            0x40, 0x40, 0x40, 0x40, 0x40, // zero chunks, continue
            0x04,                         // bit 32
        ];
        assert_eq!(read_location_varint(&too_big, 0), Err(VarintError::Overflow { offset: 0, bits: 32 }));
        // Zero chunks past bit 32 are harmless.
        #[rustfmt::skip]
        let padded = [
            0x41, 0x40, 0x40, 0x40, 0x40, 0x40, 0x40, // 1 then zero chunks
            0x00,                                     // last zero chunk at bit 42
        ];
        assert_eq!(read_location_varint(&padded, 0), Ok((1, 8)));
    }

    #[test]
    fn lenient_reader_matches_cpython_quirks() {
        #[rustfmt::skip]
        let wraps = [
            0x41, 0x41, 0x41, 0x41, 0x41, // chunk 1 at shifts 0, 6, 12, 18, 24
            0x41,                         // chunk 1 at shift 30
            0x03,                         // chunk 3 at shift 36 -> x86 shifts by 4: 48
        ];
        // Checked against 3.11-3.15: line 5 + svarint(this) = -545392691.
        let (u, next) = read_location_varint_lenient(&wraps, 0);
        assert_eq!(u, 1_090_785_393);
        assert_eq!(next, 7);
        assert_eq!(5 + svarint_value(u), -545_392_691);
        #[rustfmt::skip]
        let truncated = [
            0x45,       // chunk 5, continue; the next byte is the NUL terminator
        ];
        assert_eq!(read_location_varint_lenient(&truncated, 0), (5, 2));
        assert_eq!(read_location_varint_lenient(&[], 0), (0, 1));
    }

    #[test]
    fn signed_values() {
        assert_eq!(svarint_value(0), 0);
        assert_eq!(svarint_value(1), 0); // "-0"
        assert_eq!(svarint_value(2), 1);
        assert_eq!(svarint_value(3), -1);
        assert_eq!(svarint_value(u32::MAX), -(i32::MAX));
        #[rustfmt::skip]
        let data = [
            0x07,       // u = 7 -> -3
            0x44,       // chunk 4, continue
            0x01,       // + 1 << 6 -> u = 68 -> 34
        ];
        assert_eq!(read_location_svarint(&data, 0), Ok((-3, 1)));
        assert_eq!(read_location_svarint(&data, 1), Ok((34, 3)));
    }

    #[test]
    fn exception_varint_msb_first() {
        #[rustfmt::skip]
        let data = [
            0x84,       // entry start, value 4, no continue
            0x41,       // chunk 1, continue
            0x02,       // (1 << 6) | 2 = 66
            0xc1,       // entry start, chunk 1, continue
            0x7f,       // chunk 63, continue
            0x00,       // ((1 << 6 | 63) << 6) | 0 = 8128
        ];
        assert_eq!(read_exception_varint(&data, 0), Ok((4, 1)));
        assert_eq!(read_exception_varint(&data, 1), Ok((66, 3)));
        assert_eq!(read_exception_varint(&data, 3), Ok((8128, 6)));
        assert_eq!(read_exception_varint(&data[..2], 1), Err(VarintError::Truncated { offset: 2 }));
        assert_eq!(read_exception_varint(&[], 0), Err(VarintError::Truncated { offset: 0 }));
    }

    #[test]
    fn exception_varint_overflow() {
        // 11 chunks: 10 * 6 + 4 bits = 64 bits fit; one more bit does not.
        let mut fits = vec![0x4f];
        fits.extend([0x7f; 9]);
        fits.push(0x3f);
        assert_eq!(read_exception_varint(&fits, 0), Ok((u64::MAX, 11)));
        let mut too_big = vec![0x50];
        too_big.extend([0x40; 9]);
        too_big.push(0x00);
        assert_eq!(read_exception_varint(&too_big, 0), Err(VarintError::Overflow { offset: 0, bits: 64 }));
    }

    #[test]
    fn round_trips() {
        for v in [0u32, 1, 63, 64, 4095, 4096, 1 << 20, u32::MAX] {
            let mut out = Vec::new();
            write_location_varint(&mut out, v);
            assert_eq!(read_location_varint(&out, 0), Ok((v, out.len())), "{v}");
            assert_eq!(read_location_varint_lenient(&out, 0), (v, out.len()));
        }
        for v in [0i32, 1, -1, 31, -32, 1000, -1000, i32::MAX, -i32::MAX] {
            let mut out = Vec::new();
            write_location_svarint(&mut out, v);
            assert_eq!(read_location_svarint(&out, 0), Ok((v, out.len())), "{v}");
        }
        let mut out = Vec::new();
        write_location_svarint(&mut out, i32::MIN);
        assert!(matches!(read_location_svarint(&out, 0), Err(VarintError::Overflow { .. })));
        for v in [0u64, 1, 63, 64, 4095, 4096, 1 << 40, u64::MAX] {
            for start in [false, true] {
                let mut out = Vec::new();
                write_exception_varint(&mut out, v, start);
                assert_eq!(out[0] & 0x80 != 0, start);
                assert!(out[1..].iter().all(|b| b & 0x80 == 0));
                assert_eq!(read_exception_varint(&out, 0), Ok((v, out.len())), "{v}");
            }
        }
    }
}
