//! Output paths from untrusted member names.

/// Longest path component kept, in bytes (most file systems allow 255).
pub const MAX_COMPONENT: usize = 200;

/// Components dropped from a path.
const MAX_COMPONENTS: usize = 64;

/// A relative, `/`-separated path that is safe to create under an output
/// directory, made from an archive member name:
///
/// - both `/` and `\` separate components; empty and `.` components are
///   dropped, so absolute paths become relative;
/// - `..` becomes `__`, a drive letter `C:` becomes `C_`, and every
///   character that is a control character or reserved on Windows
///   (`< > : " | ? *`) becomes `_`;
/// - trailing dots and spaces (which Windows strips) become `_`, and names
///   Windows reserves for devices (`CON`, `NUL`, `COM1`, …) get a `_` prefix;
/// - components are cut to [`MAX_COMPONENT`] bytes, paths to 64 components.
///
/// An empty result becomes `_`. Two different names may give the same path:
/// the writer resolves collisions.
#[must_use]
pub fn safe_path(name: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for comp in name.split(['/', '\\']) {
        if comp.is_empty() || comp == "." {
            continue;
        }
        if parts.len() >= MAX_COMPONENTS {
            break;
        }
        let mut s: String = if comp == ".." {
            "__".to_owned()
        } else {
            comp.chars().map(|c| if c.is_control() || "<>:\"|?*".contains(c) { '_' } else { c }).collect()
        };
        let kept = s.trim_end_matches(['.', ' ']).len();
        let trailing = s.len() - kept;
        s.truncate(kept);
        s.extend(std::iter::repeat_n('_', trailing));
        let stem = s.split('.').next().unwrap_or("").to_ascii_uppercase();
        let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
            || (stem.len() == 4
                && (stem.starts_with("COM") || stem.starts_with("LPT"))
                && stem.as_bytes()[3].is_ascii_digit());
        if reserved {
            s.insert(0, '_');
        }
        if s.len() > MAX_COMPONENT {
            let mut cut = MAX_COMPONENT;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
        }
        parts.push(s);
    }
    if parts.is_empty() { "_".to_owned() } else { parts.join("/") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names() {
        assert_eq!(safe_path("../../etc/passwd"), "__/__/etc/passwd");
        assert_eq!(safe_path("/abs/path.pyc"), "abs/path.pyc");
        assert_eq!(safe_path("C:\\Windows\\x.dll"), "C_/Windows/x.dll");
        assert_eq!(safe_path("a/./b//c"), "a/b/c");
        assert_eq!(safe_path(""), "_");
        assert_eq!(safe_path("../.."), "__/__");
        assert_eq!(safe_path("x\0y\n"), "x_y_");
        assert_eq!(safe_path("con.txt"), "_con.txt");
        assert_eq!(safe_path("trailing. "), "trailing__");
        assert_eq!(safe_path("..."), "___");
        assert_eq!(safe_path(&"é".repeat(300)).len(), 200);
        assert_eq!(safe_path(&"a/".repeat(100)).split('/').count(), 64);
    }
}
