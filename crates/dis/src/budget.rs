//! Output budgets, checked as the output grows, and hand-over of finished
//! output to a writer.
//!
//! Every view's output is bounded by [`output_limit`]: CPython would print
//! everything, but crafted files (one large constant loaded thousands of
//! times, objects shared through marshal references) make text exponential
//! or quadratic in the input. The budget counts every byte produced; the
//! bytes themselves are handed to a `drain` (which writes them) at line or
//! record boundaries once `high` bytes are waiting, so with a writer the
//! memory held stays small whatever the output.

use bytescope_marshal::Marshal;

/// The output budget for marshal data `m` of `n` bytes: 256 bytes per input
/// byte up to 64 MiB plus 16 per input byte beyond that (so from about 270
/// KiB of input on, 16 bytes per byte plus 64 MiB), plus 1 MiB. Real
/// listings run about 5 bytes per pyc byte.
#[must_use]
pub fn output_limit(m: &Marshal<'_>) -> usize {
    limit_for(m.end_offset())
}

/// [`output_limit`] for `n` input bytes.
#[must_use]
pub(crate) fn limit_for(n: usize) -> usize {
    n.saturating_mul(256).min(n.saturating_mul(16).saturating_add(64 << 20)).saturating_add(1 << 20)
}

/// The budget of one view and where its output goes.
pub(crate) struct Limit<'d> {
    /// The position in the output buffer where the budget ends (moved back
    /// by what each drain takes).
    pub at: usize,
    /// The whole budget in bytes (for the error).
    pub max: usize,
    /// Where the output started (for [`Limit::written`]).
    start: usize,
    /// Bytes drained so far.
    drained: usize,
    /// Drain once the buffer holds this much.
    high: usize,
    /// `min(at + 1, high)`: below it a line end needs no more than one
    /// comparison.
    next: usize,
    /// How much [`Limit::high`] moves up when a drain takes nothing.
    step: usize,
    drain: &'d mut dyn FnMut(&mut Vec<u8>),
}

impl<'d> Limit<'d> {
    /// A budget of `max` bytes for output appended to `out`, drained once
    /// `high` bytes are waiting.
    pub(crate) fn new(out: &[u8], max: usize, high: usize, drain: &'d mut dyn FnMut(&mut Vec<u8>)) -> Self {
        let at = out.len().saturating_add(max);
        let high = high.max(1);
        Limit {
            at,
            max,
            start: out.len(),
            drained: 0,
            high,
            next: at.saturating_add(1).min(high),
            step: high,
            drain,
        }
    }

    /// Bytes produced so far (drained or still in `out`).
    pub(crate) fn written(&self, out: &[u8]) -> usize {
        (self.drained + out.len()).saturating_sub(self.start)
    }

    /// At the end of a line or record that started at `mark`: an error if
    /// the budget is spent (the line is dropped), else the output is
    /// drained if enough waits.
    #[inline]
    pub(crate) fn check(&mut self, out: &mut Vec<u8>, mark: usize) -> Result<(), Spent> {
        if out.len() < self.next { Ok(()) } else { self.check_slow(out, mark) }
    }

    #[cold]
    #[inline(never)]
    fn check_slow(&mut self, out: &mut Vec<u8>, mark: usize) -> Result<(), Spent> {
        if out.len() > self.at {
            out.truncate(mark.min(self.at));
            return Err(Spent);
        }
        if out.len() >= self.high {
            self.drain_now(out);
        }
        Ok(())
    }

    /// Hands the waiting output to the drain.
    #[cold]
    #[inline(never)]
    pub(crate) fn drain_now(&mut self, out: &mut Vec<u8>) {
        let before = out.len();
        (self.drain)(out);
        let taken = before.saturating_sub(out.len());
        self.drained += taken;
        self.at = self.at.saturating_sub(taken);
        // A drain that keeps the bytes (it writes in larger pieces) is not
        // asked again until another `step` bytes have come.
        self.high = out.len().saturating_add(self.step);
        self.next = self.at.saturating_add(1).min(self.high);
    }
}

/// The budget is spent.
#[derive(Debug)]
pub(crate) struct Spent;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_grows_linearly_then_slower() {
        assert_eq!(limit_for(0), 1 << 20);
        assert_eq!(limit_for(1000), 256_000 + (1 << 20));
        // 256 n = 16 n + 64 MiB at n = 279620.
        assert_eq!(limit_for(279_620), 279_620 * 256 + (1 << 20));
        assert_eq!(limit_for(3 << 20), (48 << 20) + (64 << 20) + (1 << 20));
        assert_eq!(limit_for(usize::MAX), usize::MAX);
    }

    #[test]
    fn drains_count_towards_the_budget() {
        let mut taken = Vec::new();
        let mut drain = |b: &mut Vec<u8>| taken.append(b);
        let mut out = b"head".to_vec();
        {
            let mut limit = Limit::new(&out, 10, 4, &mut drain);
            out.extend_from_slice(b"abcd");
            assert!(limit.check(&mut out, 4).is_ok());
            assert!(out.is_empty());
            out.extend_from_slice(b"efgh");
            assert!(limit.check(&mut out, 0).is_ok());
            assert_eq!(limit.written(&out), 8);
            out.extend_from_slice(b"ijk");
            assert!(limit.check(&mut out, 0).is_err());
        }
        assert_eq!(taken, b"headabcdefgh");
    }
}
