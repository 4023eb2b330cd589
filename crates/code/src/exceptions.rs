//! The 3.11+ exception table (`co_exceptiontable`).
//!
//! Each entry is four exception-table varints (MSB-first 6-bit chunks, `0x40`
//! = another byte follows; see [`crate::varint`]): `start`, `length` and
//! `target` in code units, then `depth << 1 | lasti`. The first byte of each
//! entry has bit 7 (`0x80`) set so the interpreter can binary-search the table
//! (`Objects/exception_handling_notes.txt` in 3.11–3.13,
//! `InternalDocs/exception_handling.md` in 3.14+).
//!
//! [`parse_exception_table`] reproduces `dis._parse_exception_table`, which is
//! the same pure-Python function in every version from 3.11 to 3.15:
//!
//! - bit 7 is ignored: entry-start markers are neither required nor checked;
//! - an entry cut short by the end of the table is silently dropped (the
//!   `StopIteration` ends the loop), as is any trailing partial varint;
//! - values are Python integers, so they never overflow there. Here they are
//!   `u64`; a value that does not fit (a varint of 11 or more chunks, or a
//!   doubled offset past `u64::MAX`) is the one input that fails.
//!
//! [`parse_exception_table_strict`] also rejects what the compiler never
//! writes: truncated entries and misplaced or missing entry-start bits.

use crate::varint::{VarintError, read_exception_varint};

/// One exception-table entry, as `dis._ExceptionTableEntry`: offsets are in
/// **bytes** (code units × 2) and `end` is exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExceptionEntry {
    /// First byte offset covered by the handler.
    pub start: u64,
    /// Byte offset just past the covered range (`start + length`).
    pub end: u64,
    /// Byte offset of the handler.
    pub target: u64,
    /// Stack depth to unwind to before jumping to the handler.
    pub depth: u64,
    /// Whether the offset of the raising instruction is pushed (`lasti`).
    pub lasti: bool,
}

/// An exception table that cannot be represented, or (strict parsing only)
/// that the compiler could not have written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExceptionTableError {
    /// A value does not fit in 64 bits (Python would produce a big int).
    #[error("exception table value at offset {offset} does not fit in 64 bits")]
    Overflow {
        /// Offset of the varint's first byte.
        offset: usize,
    },
    /// The table ends inside an entry (strict parsing only).
    #[error("exception table truncated at offset {offset}: expected {expected}")]
    Truncated {
        /// Offset of the first missing byte (the table length).
        offset: usize,
        /// The field being read.
        expected: &'static str,
    },
    /// An entry's first byte lacks bit 7 (strict parsing only).
    #[error(
        "exception table byte 0x{byte:02x} at offset {offset}: expected the start of an entry (bit 7 set)"
    )]
    MissingEntryStart {
        /// Offset of the byte.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A byte inside an entry has bit 7 set (strict parsing only).
    #[error("exception table byte 0x{byte:02x} at offset {offset}: expected entry payload (bit 7 clear)")]
    UnexpectedEntryStart {
        /// Offset of the byte.
        offset: usize,
        /// The byte.
        byte: u8,
    },
}

const FIELDS: [&str; 4] = ["an entry start", "a length", "a target", "a depth and lasti"];

/// Reads one entry at `pos`, returning it and the offset just past it.
/// [`ExceptionTableError::Truncated`] says where the table ran out and in
/// which field.
fn read_entry(table: &[u8], pos: usize) -> Result<(ExceptionEntry, usize), ExceptionTableError> {
    let mut values = [0u64; 4];
    let mut offsets = [0usize; 4];
    let mut p = pos;
    for (i, slot) in values.iter_mut().enumerate() {
        offsets[i] = p;
        let (v, next) = read_exception_varint(table, p).map_err(|e| match e {
            VarintError::Truncated { offset } => {
                ExceptionTableError::Truncated { offset, expected: FIELDS[i] }
            }
            VarintError::Overflow { offset, .. } => ExceptionTableError::Overflow { offset },
        })?;
        *slot = v;
        p = next;
    }
    let [start, length, target, dl] = values;
    let bytes = |v: u64, at: usize| v.checked_mul(2).ok_or(ExceptionTableError::Overflow { offset: at });
    let start = bytes(start, offsets[0])?;
    let length = bytes(length, offsets[1])?;
    let end = start.checked_add(length).ok_or(ExceptionTableError::Overflow { offset: offsets[1] })?;
    let target = bytes(target, offsets[2])?;
    Ok((ExceptionEntry { start, end, target, depth: dl >> 1, lasti: dl & 1 != 0 }, p))
}

/// `dis._parse_exception_table(code)` (3.11+), given `co_exceptiontable`.
///
/// # Errors
/// [`ExceptionTableError::Overflow`] only; see the module docs.
pub fn parse_exception_table(table: &[u8]) -> Result<Vec<ExceptionEntry>, ExceptionTableError> {
    parse_exception_table_in(table, Vec::new())
}

/// [`parse_exception_table`] into `out`'s memory (emptied first): listings
/// parse one table per code object.
///
/// # Errors
/// As [`parse_exception_table`].
pub fn parse_exception_table_in(
    table: &[u8],
    mut out: Vec<ExceptionEntry>,
) -> Result<Vec<ExceptionEntry>, ExceptionTableError> {
    out.clear();
    let mut pos = 0;
    while pos < table.len() {
        match read_entry(table, pos) {
            Ok((entry, next)) => {
                out.push(entry);
                pos = next;
            }
            Err(ExceptionTableError::Truncated { .. }) => break,
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Like [`parse_exception_table`], but also rejects a truncated final entry
/// and entry-start bits (`0x80`) that are missing from an entry's first byte
/// or present on any other byte.
///
/// # Errors
/// The first problem found, with its byte offset.
pub fn parse_exception_table_strict(table: &[u8]) -> Result<Vec<ExceptionEntry>, ExceptionTableError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < table.len() {
        let first = table[pos];
        if first & 0x80 == 0 {
            return Err(ExceptionTableError::MissingEntryStart { offset: pos, byte: first });
        }
        let (entry, next) = read_entry(table, pos)?;
        if let Some(i) = (pos + 1..next).find(|&i| table[i] & 0x80 != 0) {
            return Err(ExceptionTableError::UnexpectedEntryStart { offset: i, byte: table[i] });
        }
        out.push(entry);
        pos = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(start: u64, end: u64, target: u64, depth: u64, lasti: bool) -> ExceptionEntry {
        ExceptionEntry { start, end, target, depth, lasti }
    }

    #[test]
    fn two_entries() {
        #[rustfmt::skip]
        let table = [
            0x82,       // entry start; start = 2 units -> byte 4
            0x05,       // length 5 units -> end = 4 + 10 = 14
            0x0a,       // target 10 units -> byte 20
            0x02,       // depth 1, no lasti
            0xc1,       // entry start, continue; start = 1 ...
            0x00,       // ... then (1 << 6) | 0 = 64 units -> byte 128
            0x01,       // length 1 -> end 130
            0x41,       // target (1 << 6 | ...
            0x3f,       //         ... 63) = 127 units -> byte 254
            0x05,       // depth 2, lasti
        ];
        let want = vec![e(4, 14, 20, 1, false), e(128, 130, 254, 2, true)];
        assert_eq!(parse_exception_table(&table), Ok(want.clone()));
        assert_eq!(parse_exception_table_strict(&table), Ok(want));
        assert_eq!(parse_exception_table(&[]), Ok(vec![]));
    }

    #[test]
    fn truncated_entry_is_dropped_like_dis() {
        #[rustfmt::skip]
        let table = [
            0x80, 0x01, 0x02, 0x00, // start 0, end 2, target 4, depth 0
            0x81, 0x01,             // an entry cut after its length
        ];
        assert_eq!(parse_exception_table(&table), Ok(vec![e(0, 2, 4, 0, false)]));
        assert_eq!(
            parse_exception_table_strict(&table),
            Err(ExceptionTableError::Truncated { offset: 6, expected: "a target" })
        );
        #[rustfmt::skip]
        let partial_varint = [
            0xc1,       // entry start with a continue bit, then nothing
        ];
        assert_eq!(parse_exception_table(&partial_varint), Ok(vec![]));
    }

    #[test]
    fn markers_are_ignored_like_dis() {
        #[rustfmt::skip]
        let table = [
            0x00,       // start 0 (no entry-start bit)
            0x81,       // length 1 (stray entry-start bit)
            0x02,       // target 2
            0x01,       // depth 0, lasti
        ];
        assert_eq!(parse_exception_table(&table), Ok(vec![e(0, 2, 4, 0, true)]));
        assert_eq!(
            parse_exception_table_strict(&table),
            Err(ExceptionTableError::MissingEntryStart { offset: 0, byte: 0x00 })
        );
        let mut stray = table;
        stray[0] = 0x80;
        assert_eq!(
            parse_exception_table_strict(&stray),
            Err(ExceptionTableError::UnexpectedEntryStart { offset: 1, byte: 0x81 })
        );
    }

    #[test]
    fn overflow() {
        // start = 2^63: doubling it overflows u64.
        let mut table = vec![0xc8];
        table.extend([0x40; 9]);
        table.extend([0x00, 0x00, 0x00, 0x00]);
        assert_eq!(parse_exception_table(&table), Err(ExceptionTableError::Overflow { offset: 0 }));
        // A 12-chunk varint.
        let mut table = vec![0xc1];
        table.extend([0x40; 10]);
        table.push(0x00);
        assert_eq!(parse_exception_table(&table), Err(ExceptionTableError::Overflow { offset: 0 }));
    }
}
