//! Vectors kept from one file (or code object) to the next, so that a batch
//! allocates, and page-faults in, its working memory once. Every layer's
//! reused buffers follow these two rules.

/// `v` emptied, with another element type of the same layout (in practice
/// the same type under another borrowed lifetime), in the same allocation:
/// an empty vector collected into one of the same layout keeps its memory
/// (in-place `collect`; with another layout it would merely start empty).
#[must_use]
pub fn recycle<T, U>(mut v: Vec<T>) -> Vec<U> {
    v.clear();
    // The vector is empty: the closure never runs.
    v.into_iter().map(|_| unreachable!()).collect()
}

/// Empties `v` and makes room for `n` items. Too small a vector is replaced,
/// not grown (growing would copy its stale contents): by one of exactly `n`
/// the first time (no capacity yet), else by one at least twice its size and
/// at least `floor_bytes` large, so a batch of ever larger inputs replaces it
/// once or twice, not at every input (memory never written costs nothing).
pub fn room_for<T>(v: &mut Vec<T>, n: usize, floor_bytes: usize) {
    v.clear();
    if v.capacity() >= n {
        return;
    }
    let cap = if v.capacity() == 0 {
        n
    } else {
        let floor = floor_bytes / std::mem::size_of::<T>().max(1);
        n.max(v.capacity().saturating_mul(2)).max(floor)
    };
    *v = Vec::with_capacity(cap);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycle_keeps_the_allocation() {
        let s = String::from("x");
        let v: Vec<&str> = Vec::with_capacity(100);
        let mut v = v;
        v.push(&s);
        let p = v.as_ptr() as usize;
        let w: Vec<&'static str> = recycle(v);
        assert_eq!((w.len(), w.capacity(), w.as_ptr() as usize), (0, 100, p));
    }

    #[test]
    fn room_for_replaces_and_doubles() {
        let mut v: Vec<u64> = Vec::new();
        room_for(&mut v, 10, 1 << 10);
        assert_eq!(v.capacity(), 10);
        v.push(1);
        room_for(&mut v, 5, 1 << 10);
        assert!(v.is_empty() && v.capacity() == 10);
        room_for(&mut v, 11, 1 << 10);
        assert_eq!(v.capacity(), 128);
        room_for(&mut v, 300, 0);
        assert_eq!(v.capacity(), 300);
    }
}
