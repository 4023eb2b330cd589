//! CPython language versions as values.

use std::fmt;
use std::str::FromStr;

/// A CPython minor version such as 3.12.
///
/// Every version difference in bytescope is keyed on this value (never on
/// scattered string compares), ordered so `v >= PythonVersion::PY311` reads
/// naturally.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct PythonVersion {
    /// Major version (1, 2 or 3).
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

macro_rules! versions {
    ($($name:ident = ($maj:literal, $min:literal)),* $(,)?) => {
        impl PythonVersion {
            $(
                #[doc = concat!("CPython ", stringify!($maj), ".", stringify!($min), ".")]
                pub const $name: PythonVersion = PythonVersion { major: $maj, minor: $min };
            )*
            /// Every minor version whose magic numbers bytescope knows, oldest first.
            pub const ALL: &'static [PythonVersion] = &[$(Self::$name),*];
        }
    };
}

versions! {
    PY13 = (1, 3), PY14 = (1, 4), PY15 = (1, 5), PY16 = (1, 6),
    PY20 = (2, 0), PY21 = (2, 1), PY22 = (2, 2), PY23 = (2, 3), PY24 = (2, 4), PY25 = (2, 5), PY26 = (2, 6), PY27 = (2, 7),
    PY30 = (3, 0), PY31 = (3, 1), PY32 = (3, 2), PY33 = (3, 3), PY34 = (3, 4), PY35 = (3, 5), PY36 = (3, 6), PY37 = (3, 7),
    PY38 = (3, 8), PY39 = (3, 9), PY310 = (3, 10), PY311 = (3, 11), PY312 = (3, 12), PY313 = (3, 13), PY314 = (3, 14),
    PY315 = (3, 15),
}

impl PythonVersion {
    /// Builds a version from its parts.
    #[must_use]
    pub const fn new(major: u8, minor: u8) -> Self {
        PythonVersion { major, minor }
    }

    /// Whether bytescope can decode code objects of this version (1.5 and later).
    #[must_use]
    pub fn has_supported_code_layout(self) -> bool {
        self >= Self::PY15
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Error for a version string that is not `MAJOR.MINOR` of a known version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown Python version {0:?}: expected MAJOR.MINOR, one of 1.3-1.6, 2.0-2.7, 3.0-3.15")]
pub struct ParseVersionError(pub String);

impl FromStr for PythonVersion {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseVersionError(s.to_owned());
        let t = s.trim();
        let t = t.strip_prefix("python").unwrap_or(t);
        let mut parts = t.split('.');
        let major: u8 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(err)?;
        let minor: u8 = parts.next().and_then(|p| p.parse().ok()).ok_or_else(err)?;
        let v = PythonVersion::new(major, minor);
        if Self::ALL.contains(&v) { Ok(v) } else { Err(err()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_order() {
        assert_eq!("3.12".parse::<PythonVersion>().unwrap(), PythonVersion::PY312);
        assert_eq!("2.7".parse::<PythonVersion>().unwrap(), PythonVersion::PY27);
        assert!("3.99".parse::<PythonVersion>().is_err());
        assert!("x".parse::<PythonVersion>().is_err());
        assert!(PythonVersion::PY310 > PythonVersion::PY39);
        assert!(PythonVersion::PY30 > PythonVersion::PY27);
        assert_eq!(PythonVersion::PY310.to_string(), "3.10");
    }
}
