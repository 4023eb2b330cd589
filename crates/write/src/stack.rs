//! `co_stacksize` of an owned code object, from the stack analysis
//! (`bytescope-analysis`).

use bytescope_analysis::{Fold, StackAnalyzer};
use bytescope_marshal::{Format, read};

use crate::code::CodeObject;
use crate::dump::dumps_code;

/// What the stack analysis says of a code object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackSize {
    /// The stack size the code needs: the maximum depth over every path,
    /// as the version's compiler counts it (from 3.13 at least 1).
    pub stacksize: i32,
    /// What is wrong with the code (a stack underflow, a jump out of the
    /// code, ...), one line each; empty for sound code.
    pub problems: Vec<String>,
}

/// Why the stack size could not be computed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot compute co_stacksize: {0}")]
pub struct StackError(pub String);

impl CodeObject {
    /// The `co_stacksize` this code object needs, computed by the stack
    /// analysis of its version (jumps, handlers, generators). The code is
    /// taken as written: no constant folding after the count (which 3.7–3.9
    /// and older compilers applied to their own output) is assumed, so the
    /// size is the exact maximum of these instructions. Nested code objects
    /// are not looked at; each has its own.
    ///
    /// # Errors
    /// [`StackError`] when the version has no analysis or the object cannot
    /// be marshalled (see [`CodeObject::validate`]).
    pub fn compute_stacksize(&self) -> Result<StackSize, StackError> {
        let analyzer = StackAnalyzer::new(self.version).map_err(|e| StackError(e.to_string()))?;
        let rules = bytescope_analysis::StackRules { fold: Fold::None, ..*analyzer.rules() };
        let analyzer = analyzer.with_rules(rules);
        // The analysis reads the decoded form: marshal this object alone
        // (nested code objects become None: only this one is analysed).
        let alone = CodeObject {
            consts: self
                .consts
                .iter()
                .map(|c| if c.as_code().is_some() { crate::Object::None } else { c.clone() })
                .collect(),
            ..self.clone()
        };
        let bytes = dumps_code(&alone).map_err(|e| StackError(e.to_string()))?;
        let m = read(&bytes, Format::for_version(self.version), 0).map_err(|e| StackError(e.to_string()))?;
        let raw = m.code(m.root()).ok_or_else(|| StackError("not a code object".into()))?;
        let code = bytescope_code::Code::new(&m, raw).map_err(|e| StackError(e.to_string()))?;
        let depths = analyzer.stacksize(&code);
        Ok(StackSize {
            stacksize: i32::try_from(depths.stacksize).unwrap_or(i32::MAX),
            problems: depths.problems.iter().map(|p| format!("offset {}: {:?}", p.offset, p.kind)).collect(),
        })
    }
}
