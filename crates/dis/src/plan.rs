//! Per-opcode printing plans: how `dis` of one version shows each opcode
//! byte, decided once from the instruction model's plans and the printing
//! [`Rules`], so that printing an instruction is a table lookup.

use std::sync::OnceLock;

use bytescope_instr::{ArgKind, NameMarker, VersionData as Decoding};
use bytescope_opcodes::OpcodeTable;
use bytescope_opcodes::semantics::{Action, Flow, Place};

use crate::rules::{Layout, NullMarker, Rules};

/// How a jump's argument is worded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JumpStyle {
    /// No text (absolute jumps before 3.10): `argval` is the argument.
    Hidden,
    /// `to 42`.
    Offset,
    /// `to L3` / `from L3` (3.13+).
    Label(&'static str),
}

/// Everything printing needs to know about one opcode byte.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PrintPlan {
    /// The name `dis` prints.
    pub name: &'static str,
    /// The name padded with spaces to [`NAME_SLOT`] bytes (cut there if
    /// longer), for fixed-size copies into listing lines.
    pub padded: [u8; NAME_SLOT],
    /// How a jump is worded (jumps only).
    pub jump: JumpStyle,
    /// A `hasconst` opcode whose constant 3.11's `dis` does not resolve
    /// (`dis.UNKNOWN`).
    pub unknown_const: bool,
}

/// Bytes of [`PrintPlan::padded`].
pub(crate) const NAME_SLOT: usize = 32;

/// One version's printing rules and plans, and its decoding data.
#[derive(Debug)]
pub(crate) struct VersionData {
    pub rules: Rules,
    pub plans: [PrintPlan; 256],
    pub decoding: &'static Decoding,
    /// What goes before and after a name, per [`NameMarker`] (indexed by
    /// its discriminant), by the version's NULL-marker placement.
    pub affixes: [(&'static str, &'static str); 5],
}

impl VersionData {
    fn new(table: &'static OpcodeTable) -> Self {
        let rules = Rules::for_version(table.version);
        let decoding = Decoding::of(table);
        let plans = std::array::from_fn(|op| {
            let p = decoding.plan(op as u8);
            let name = p.info.name;
            let mut padded = [b' '; NAME_SLOT];
            let n = name.len().min(NAME_SLOT);
            padded[..n].copy_from_slice(&name.as_bytes()[..n]);
            let jump = match p.kind {
                ArgKind::Jump { abs: true, .. } if !rules.jabs_argrepr => JumpStyle::Hidden,
                _ if rules.layout == Layout::Py313 => {
                    // A `Link` operand points back at a related instruction (`from L`).
                    JumpStyle::Label(if table.semantics(p.deop).flow == Flow::Link { "from" } else { "to" })
                }
                _ => JumpStyle::Offset,
            };
            let unknown_const = rules.only_load_const_resolves
                && p.kind == ArgKind::Const
                && table.semantics(p.deop).action != Action::Load(Place::Const);
            PrintPlan { name, padded, jump, unknown_const }
        });
        let prefix = rules.null_marker == Some(NullMarker::Prefix);
        let affixes =
            [NameMarker::None, NameMarker::Null, NameMarker::Method, NameMarker::Lazy, NameMarker::Eager]
                .map(|marker| match marker {
                    NameMarker::None => ("", ""),
                    NameMarker::Lazy => ("", " + lazy"),
                    NameMarker::Eager => ("", " + eager"),
                    NameMarker::Null if prefix => ("NULL + ", ""),
                    NameMarker::Method if prefix => ("NULL|self + ", ""),
                    NameMarker::Null => ("", " + NULL"),
                    NameMarker::Method => ("", " + NULL|self"),
                });
        VersionData { rules, plans, decoding, affixes }
    }
}

/// The (cached) data of `table`'s version.
pub(crate) fn version_data(table: &'static OpcodeTable) -> &'static VersionData {
    // One slot per generated table; computed on first use.
    static SLOTS: [OnceLock<VersionData>; 32] = [const { OnceLock::new() }; 32];
    let index = bytescope_opcodes::tables().iter().position(|t| std::ptr::eq(*t, table));
    match index.and_then(|i| SLOTS.get(i)) {
        Some(slot) => slot.get_or_init(|| VersionData::new(table)),
        // Only tables outside `tables()` get here (none today): leak one
        // small value rather than fail.
        None => Box::leak(Box::new(VersionData::new(table))),
    }
}
