//! The 3.11+ exception table (`Objects/exception_handling_notes.txt`,
//! `assemble_exception_table` in CPython's assembler).
//!
//! One entry per maximal run of instructions with the same handler, in code
//! order: `start`, `size` and `target` in code units, then
//! `depth << 1 | lasti`, each an MSB-first varint of 6-bit groups, the first
//! byte of an entry marked with bit 7.

use bytescope_code::exceptions::ExceptionEntry;
use bytescope_code::varint::write_exception_varint;

/// Encodes entries as `dis._parse_exception_table` returns them (byte
/// offsets, `end` exclusive), one to one.
#[must_use]
pub fn encode_exception_table(entries: &[ExceptionEntry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 4);
    encode_exception_table_into(entries, &mut out);
    out
}

/// [`encode_exception_table`] appended to `out`.
pub fn encode_exception_table_into(entries: &[ExceptionEntry], out: &mut Vec<u8>) {
    for e in entries {
        let size = e.end.saturating_sub(e.start);
        write_exception_varint(out, e.start / 2, true);
        write_exception_varint(out, size / 2, false);
        write_exception_varint(out, e.target / 2, false);
        write_exception_varint(out, e.depth << 1 | u64::from(e.lasti), false);
    }
}

/// Builds the table from each instruction's handler, as CPython's
/// assembler does: adjacent instructions with the same handler (target,
/// depth, lasti) share one entry.
#[derive(Clone, Debug, Default)]
pub struct ExceptionTableBuilder {
    entries: Vec<ExceptionEntry>,
}

impl ExceptionTableBuilder {
    /// An empty builder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that the bytes `start..end` (an instruction with its caches)
    /// are covered by `handler` (`(target offset, depth, lasti)`), or by
    /// none. Instructions must come in code order.
    #[inline]
    pub fn instruction(&mut self, start: u64, end: u64, handler: Option<(u64, u64, bool)>) {
        let Some((target, depth, lasti)) = handler else { return };
        if let Some(last) = self.entries.last_mut()
            && last.end == start
            && (last.target, last.depth, last.lasti) == (target, depth, lasti)
        {
            last.end = end;
            return;
        }
        self.entries.push(ExceptionEntry { start, end, target, depth, lasti });
    }

    /// Forgets the entries (keeping the memory).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entries so far.
    #[must_use]
    pub fn entries(&self) -> &[ExceptionEntry] {
        &self.entries
    }

    /// The encoded table.
    #[must_use]
    pub fn finish(&self) -> Vec<u8> {
        encode_exception_table(&self.entries)
    }

    /// The encoded table, appended to `out`.
    pub fn finish_into(&self, out: &mut Vec<u8>) {
        encode_exception_table_into(&self.entries, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytescope_code::exceptions::parse_exception_table;

    #[test]
    fn inverse_of_the_parser() {
        let entries = vec![
            ExceptionEntry { start: 4, end: 14, target: 20, depth: 1, lasti: false },
            ExceptionEntry { start: 128, end: 130, target: 254, depth: 2, lasti: true },
        ];
        let t = encode_exception_table(&entries);
        assert_eq!(t, [0x82, 0x05, 0x0a, 0x02, 0xc1, 0x00, 0x01, 0x41, 0x3f, 0x05]);
        assert_eq!(parse_exception_table(&t).unwrap(), entries);
        let mut b = ExceptionTableBuilder::new();
        b.instruction(4, 6, Some((20, 1, false)));
        b.instruction(6, 14, Some((20, 1, false)));
        b.instruction(14, 16, None);
        b.instruction(128, 130, Some((254, 2, true)));
        assert_eq!(b.finish(), t);
    }
}
