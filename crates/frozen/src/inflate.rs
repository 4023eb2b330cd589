//! zlib inflation within a budget.
//!
//! Every byte inflated from one input is charged to one [`Budget`], created
//! from the input's length ([`Budget::for_input`]): a zip bomb, or a TOC that
//! declares gigabytes, stops with one error as soon as the budget is spent,
//! and memory stays proportional to the input.

use std::sync::atomic::{AtomicU64, Ordering};

use flate2::{Decompress, FlushDecompress, Status};

use crate::FrozenError;

/// Inflated bytes allowed per input byte (see [`Budget::for_input`]).
///
/// Real archives inflate 2–5 times (PyInstaller stores zlib level 6–9 of
/// marshal data and libraries); zlib itself cannot exceed about 1032:1.
pub const INFLATE_RATIO: u64 = 16;

/// Inflated bytes allowed on top of the ratio, so tiny inputs still work.
pub const INFLATE_FLOOR: u64 = 64 << 20;

/// The inflated bytes one input may still produce. Shared by every
/// extraction from one input, from any thread.
#[derive(Debug)]
pub struct Budget {
    remaining: AtomicU64,
}

impl Budget {
    /// The budget of an input of `len` bytes: [`INFLATE_FLOOR`] plus
    /// [`INFLATE_RATIO`] bytes per input byte.
    #[must_use]
    pub fn for_input(len: usize) -> Self {
        Budget::new(INFLATE_FLOOR.saturating_add((len as u64).saturating_mul(INFLATE_RATIO)))
    }

    /// A budget of exactly `bytes`.
    #[must_use]
    pub fn new(bytes: u64) -> Self {
        Budget { remaining: AtomicU64::new(bytes) }
    }

    /// Bytes left.
    #[must_use]
    pub fn remaining(&self) -> u64 {
        self.remaining.load(Ordering::Relaxed)
    }

    /// Takes `n` bytes from the budget; `false` (and nothing taken) when
    /// fewer are left.
    pub fn charge(&self, n: u64) -> bool {
        self.remaining.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| r.checked_sub(n)).is_ok()
    }
}

/// Inflates the zlib stream `data` (at absolute `offset`, for errors).
///
/// With `declared`, the result must be exactly that long (and no more than
/// that is ever produced); without, it may be as long as the budget allows.
/// What is produced is charged to `budget`.
pub(crate) fn inflate(
    data: &[u8],
    declared: Option<u64>,
    budget: &Budget,
    what: &dyn Fn() -> String,
    offset: u64,
) -> Result<Vec<u8>, FrozenError> {
    // A declared size is taken from the budget up front; otherwise bytes
    // are taken as they arrive.
    let limit = match declared {
        Some(d) if !budget.charge(d) => {
            return Err(FrozenError::Budget { what: what(), limit: budget.remaining(), offset });
        }
        Some(d) => d,
        None => u64::MAX,
    };
    let mut z = Decompress::new(true);
    // Grown as bytes arrive: a lying declared size costs nothing up front.
    let mut out: Vec<u8> =
        Vec::with_capacity(usize::try_from(limit.min(data.len() as u64 * 4 + 64)).unwrap_or(0));
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let consumed = usize::try_from(z.total_in()).unwrap_or(data.len()).min(data.len());
        let before = z.total_out();
        let st = z.decompress(&data[consumed..], &mut chunk, FlushDecompress::None);
        let produced = usize::try_from(z.total_out() - before).unwrap_or(0);
        if out.len() as u64 + produced as u64 > limit {
            return Err(FrozenError::SizeMismatch {
                what: what(),
                declared: limit,
                actual: out.len() as u64 + produced as u64,
                more: true,
                offset,
            });
        }
        if declared.is_none() && !budget.charge(produced as u64) {
            return Err(FrozenError::Budget {
                what: what(),
                limit: out.len() as u64 + budget.remaining(),
                offset,
            });
        }
        out.extend_from_slice(&chunk[..produced]);
        match st {
            Ok(Status::StreamEnd) => break,
            Ok(_) if produced == 0 && z.total_in() as usize == consumed => {
                return Err(truncated(what, offset));
            }
            Ok(_) => {}
            Err(e) => return Err(corrupt(what, &e, offset)),
        }
    }
    if let Some(d) = declared
        && out.len() as u64 != d
    {
        return Err(FrozenError::SizeMismatch {
            what: what(),
            declared: d,
            actual: out.len() as u64,
            more: false,
            offset,
        });
    }
    Ok(out)
}

fn truncated(what: &dyn Fn() -> String, offset: u64) -> FrozenError {
    FrozenError::Inflate { what: what(), message: "the stream ends early".to_owned(), offset }
}

fn corrupt(what: &dyn Fn() -> String, e: &flate2::DecompressError, offset: u64) -> FrozenError {
    FrozenError::Inflate { what: what(), message: e.to_string(), offset }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use std::io::Write;

    pub(crate) fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::new(9));
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn what() -> String {
        "entry".to_owned()
    }

    #[test]
    fn exact_sizes() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let z = zlib(&data);
        let b = Budget::new(1 << 20);
        assert_eq!(inflate(&z, Some(100_000), &b, &what, 0).unwrap(), data);
        assert_eq!(b.remaining(), (1 << 20) - 100_000);
        assert_eq!(inflate(&z, None, &b, &what, 0).unwrap(), data);
        assert_eq!(b.remaining(), (1 << 20) - 200_000);
        let e = inflate(&z, Some(99_999), &Budget::new(1 << 20), &what, 7).unwrap_err();
        assert!(matches!(e, FrozenError::SizeMismatch { more: true, offset: 7, .. }), "{e}");
        let e = inflate(&z, Some(100_001), &Budget::new(1 << 20), &what, 7).unwrap_err();
        assert!(matches!(e, FrozenError::SizeMismatch { actual: 100_000, more: false, .. }), "{e}");
    }

    #[test]
    fn bombs_stop_at_the_budget() {
        let z = zlib(&vec![0u8; 8 << 20]);
        assert!(z.len() < 20_000);
        let b = Budget::new(1 << 20);
        let e = inflate(&z, None, &b, &what, 3).unwrap_err();
        assert_eq!(e, FrozenError::Budget { what: what(), limit: 1 << 20, offset: 3 });
        let e = inflate(&z, Some(8 << 20), &Budget::new(1 << 20), &what, 3).unwrap_err();
        assert!(matches!(e, FrozenError::Budget { .. }));
        assert_eq!(Budget::for_input(10).remaining(), INFLATE_FLOOR + 160);
    }

    #[test]
    fn corrupt_and_truncated() {
        let z = zlib(b"hello hello hello");
        let e = inflate(&z[..z.len() - 3], None, &Budget::new(100), &what, 0).unwrap_err();
        assert!(matches!(e, FrozenError::Inflate { .. }), "{e}");
        let e = inflate(b"\x78\x9c\xff\xff\xff", None, &Budget::new(100), &what, 0).unwrap_err();
        assert!(matches!(e, FrozenError::Inflate { .. }), "{e}");
        let e = inflate(b"", Some(0), &Budget::new(100), &what, 0).unwrap_err();
        assert!(matches!(e, FrozenError::Inflate { .. }), "{e}");
    }
}
