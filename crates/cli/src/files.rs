//! Writing `rewrite`'s output: never left half-written. (Every read goes
//! through the batch layer: regular files only, within the size limit.)

use std::io::Write as _;
use std::path::Path;

/// Writes `data` to `path` through a temporary file in the same directory,
/// renamed over `path` once complete and synced: on any error `path` is as
/// it was (in place too: `rewrite a.pyc a.pyc`). A replaced file keeps its
/// permissions; a symbolic link at `path` is replaced, not followed. An
/// existing `path` that is not a regular file (`/dev/null`, a FIFO) is
/// written to directly.
///
/// # Errors
/// The step that failed, with the OS error.
pub fn write_atomically(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        // Never rename over a device, FIFO or socket (or a directory).
        anyhow::ensure!(!meta.is_dir(), "{} is a directory", crate::text::path(path));
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        f.write_all(data)?;
        return Ok(());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".bytescope-").suffix(".tmp");
    #[cfg(unix)]
    {
        // A new file gets the usual mode (0666 less the umask), a replaced
        // one keeps its own.
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).map_or(0o666, |m| m.permissions().mode() & 0o777);
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", crate::text::path(dir)))?;
    tmp.write_all(data).and_then(|()| tmp.as_file().sync_all()).context("cannot write the temporary file")?;
    tmp.persist(path).map_err(|e| e.error).context("cannot rename the temporary file into place")?;
    Ok(())
}
