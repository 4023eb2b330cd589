//! The "Did you mean" of CPython 3.13+'s unexpected-keyword errors: the candidate
//! closest to a misspelt name, by the edit distance of CPython's `Python/suggestions.c`
//! (a case flip costs 1, any other edit 2; common prefixes and suffixes are free; at most
//! a third of the characters may change; the first of equally close candidates wins).

const MOVE_COST: usize = 2;
const CASE_COST: usize = 1;
const MAX_STRING_SIZE: usize = 40;
const MAX_CANDIDATE_ITEMS: usize = 750;

fn substitution_cost(a: u8, b: u8) -> usize {
    if a & 31 != b & 31 {
        MOVE_COST
    } else if a == b {
        0
    } else if a.eq_ignore_ascii_case(&b) {
        CASE_COST
    } else {
        MOVE_COST
    }
}

/// The edit distance of `a` and `b` (UTF-8 bytes), or `max_cost + 1` once it is known
/// to exceed `max_cost`.
fn distance<'s>(mut a: &'s [u8], mut b: &'s [u8], max_cost: usize) -> usize {
    while let (Some(x), Some(y)) = (a.first(), b.first())
        && x == y
    {
        (a, b) = (&a[1..], &b[1..]);
    }
    while let (Some(x), Some(y)) = (a.last(), b.last())
        && x == y
    {
        (a, b) = (&a[..a.len() - 1], &b[..b.len() - 1]);
    }
    if a.is_empty() || b.is_empty() {
        return (a.len() + b.len()) * MOVE_COST;
    }
    if a.len() > MAX_STRING_SIZE || b.len() > MAX_STRING_SIZE {
        return max_cost + 1;
    }
    if b.len() < a.len() {
        (a, b) = (b, a);
    }
    if (b.len() - a.len()) * MOVE_COST > max_cost {
        return max_cost + 1;
    }
    // One row of the matrix, updated in place: row[i] = cost(b[..j], a[..=i]).
    let mut row: Vec<usize> = (1..=a.len()).map(|i| i * MOVE_COST).collect();
    let mut result = 0;
    for (j, &code) in b.iter().enumerate() {
        let mut diagonal = j * MOVE_COST;
        result = diagonal;
        let mut minimum = usize::MAX;
        for (i, &c) in a.iter().enumerate() {
            let substitute = diagonal + substitution_cost(code, c);
            diagonal = row[i];
            result = (result.min(diagonal) + MOVE_COST).min(substitute);
            row[i] = result;
            minimum = minimum.min(result);
        }
        if minimum > max_cost {
            return max_cost + 1;
        }
    }
    result
}

/// The candidate CPython 3.13+ would suggest for `name`, if any.
pub(crate) fn suggestion<'c>(candidates: &[&'c str], name: &str) -> Option<&'c str> {
    if candidates.len() >= MAX_CANDIDATE_ITEMS {
        return None;
    }
    let mut best: Option<(&str, usize)> = None;
    for &item in candidates {
        if item == name {
            continue;
        }
        let mut max_distance = (name.len() + item.len() + 3) * MOVE_COST / 6;
        if let Some((_, d)) = best {
            max_distance = max_distance.min(d.saturating_sub(1));
        }
        let d = distance(name.as_bytes(), item.as_bytes(), max_distance);
        if d > max_distance {
            continue;
        }
        if best.is_none_or(|(_, b)| d < b) {
            best = Some((item, d));
        }
    }
    best.map(|(item, _)| item)
}

#[cfg(test)]
mod tests {
    use super::suggestion;

    const REPLACE_311: [&str; 18] = [
        "co_argcount",
        "co_posonlyargcount",
        "co_kwonlyargcount",
        "co_nlocals",
        "co_stacksize",
        "co_flags",
        "co_firstlineno",
        "co_code",
        "co_consts",
        "co_names",
        "co_varnames",
        "co_freevars",
        "co_cellvars",
        "co_filename",
        "co_name",
        "co_qualname",
        "co_linetable",
        "co_exceptiontable",
    ];

    /// What CPython 3.13.0, 3.14.10 and 3.15.2 suggest for `code.replace(**{name: 1})`.
    #[test]
    fn as_cpython_suggests() {
        let cases = [
            ("co_lnotab", Some("co_linetable")),
            ("co_foo", None),
            ("co_nam", Some("co_name")),
            ("co_varname", Some("co_varnames")),
            ("co_flag", Some("co_flags")),
            ("co_consts_", Some("co_consts")),
            ("CO_NAME", None),
            ("co_firstline", Some("co_firstlineno")),
        ];
        for (name, want) in cases {
            assert_eq!(suggestion(&REPLACE_311, name), want, "{name}");
        }
        // dis's keywords (3.14): show_offset -> show_offsets; nothing near lasti.
        let dis = ["x", "file", "depth", "show_caches", "adaptive", "show_offsets", "show_positions"];
        assert_eq!(suggestion(&dis, "show_offset"), Some("show_offsets"));
        assert_eq!(suggestion(&dis, "lasti"), None);
    }
}
