//! The `stack --json` record of one code object, shared by the CLI and the
//! Python package (`bytescope.analysis.stack`) so both write the same fields
//! (schema: `docs/schemas/stack.schema.json`).

use serde::Serialize;

use crate::{Problem, StackDepths, StackRow};

/// One code object's stack analysis as a record.
#[derive(Serialize)]
pub struct StackRecord<'a> {
    /// Its qualified name.
    pub qualname: &'a str,
    /// `co_firstlineno`.
    pub firstlineno: i32,
    /// The stored `co_stacksize`.
    pub co_stacksize: i32,
    /// The computed one.
    pub computed_stacksize: u32,
    /// Every instruction's row (left out for summaries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<Vec<StackRecordRow<'a>>>,
    /// What is wrong with the code.
    pub problems: &'a [Problem],
}

/// One instruction of a [`StackRecord`].
#[derive(Serialize)]
pub struct StackRecordRow<'a> {
    /// Byte offset of the opcode.
    pub offset: u32,
    /// The opcode's name.
    pub opname: &'static str,
    /// The folded argument.
    pub arg: Option<i64>,
    /// `dis`'s argument text.
    pub argrepr: &'a str,
    /// Depth before; `None` when unreachable.
    pub depth_before: Option<u32>,
    /// Depth after on the fall-through path.
    pub depth_after: Option<u32>,
    /// The symbolic stack after it.
    pub stack: &'a [String],
}

impl<'a> StackRecord<'a> {
    /// The record of a code object named `qualname` with `firstlineno` and
    /// `co_stacksize`, its `depths`, and — unless a summary — its `rows` with
    /// each row's argument text in `argreprs` (same order).
    #[must_use]
    pub fn new(
        qualname: &'a str,
        firstlineno: i32,
        co_stacksize: i32,
        depths: &'a StackDepths,
        rows: Option<(&'a [StackRow], &'a [String])>,
    ) -> Self {
        StackRecord {
            qualname,
            firstlineno,
            co_stacksize,
            computed_stacksize: depths.stacksize,
            instructions: rows.map(|(rows, reprs)| {
                rows.iter()
                    .zip(reprs)
                    .map(|(r, a)| StackRecordRow {
                        offset: r.offset,
                        opname: r.opname,
                        arg: r.arg,
                        argrepr: a,
                        depth_before: r.depth_before,
                        depth_after: r.depth_after,
                        stack: &r.stack,
                    })
                    .collect()
            }),
            problems: &depths.problems,
        }
    }
}
