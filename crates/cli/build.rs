//! Records the commit the binary is built from, for `bytescope --version`:
//! `BYTESCOPE_COMMIT` if set (packagers building from a tarball), else
//! `git rev-parse` of this repository, else "unknown" (git may be absent).

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").current_dir(dir).args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-env-changed=BYTESCOPE_COMMIT");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let commit = std::env::var("BYTESCOPE_COMMIT").ok().filter(|c| !c.is_empty()).or_else(|| {
        // Only this repository's commit: a crate unpacked inside some other
        // repository must not report that one's.
        let root = manifest.join("../..").canonicalize().ok()?;
        let top = PathBuf::from(git(&manifest, &["rev-parse", "--show-toplevel"])?).canonicalize().ok()?;
        if top != root {
            return None;
        }
        // Rebuilt when HEAD moves (the branch file, or HEAD itself when
        // detached; packed refs too).
        if let Some(p) = git(&manifest, &["rev-parse", "--git-path", "HEAD"]) {
            println!("cargo:rerun-if-changed={}", manifest.join(p).display());
        }
        if let Some(branch) = git(&manifest, &["symbolic-ref", "-q", "HEAD"])
            && let Some(p) = git(&manifest, &["rev-parse", "--git-path", &branch])
        {
            println!("cargo:rerun-if-changed={}", manifest.join(p).display());
        }
        if let Some(p) = git(&manifest, &["rev-parse", "--git-path", "packed-refs"]) {
            println!("cargo:rerun-if-changed={}", manifest.join(p).display());
        }
        git(&manifest, &["rev-parse", "--short=12", "HEAD"])
    });
    println!("cargo:rustc-env=BYTESCOPE_COMMIT={}", commit.as_deref().unwrap_or("unknown"));
}
