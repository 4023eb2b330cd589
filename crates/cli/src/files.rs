//! Reading the files the CLI opens itself (source files, `header --source`,
//! `rewrite`'s input) and writing `rewrite`'s output, with the batch layer's
//! rules: only regular files are read, never more than the size limit, and
//! nothing is ever left half-written.

use std::fs::File;
use std::io::{self, Read as _, Write as _};
use std::path::Path;

use bytescope_batch::Limits;

/// The largest file read, in bytes (the batch layer's limit).
pub fn max_file_size() -> u64 {
    Limits::default().max_file_size
}

/// Opens `path` for reading without blocking on a FIFO (whose open waits
/// for a writer).
fn open(path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    {
        use rustix::fs::{Mode, OFlags};
        let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty())?;
        Ok(File::from(fd))
    }
    #[cfg(not(unix))]
    {
        File::open(path)
    }
}

/// The whole of the regular file `path`, if it holds at most `limit` bytes.
///
/// # Errors
/// One line saying why: the OS error, "not a regular file (a FIFO)", or the
/// size against the limit.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    let mut f = open(path).map_err(|e| format!("cannot read file: {e}"))?;
    let meta = f.metadata().map_err(|e| format!("cannot read file: {e}"))?;
    if !meta.is_file() {
        return Err(format!("not a regular file ({}); only regular files are read", kind_name(&meta)));
    }
    if meta.len() > limit {
        return Err(format!("file too large: {} bytes (limit {limit})", meta.len()));
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow while it is read: never past the limit.
    io::Read::by_ref(&mut f)
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read file: {e}"))?;
    if buf.len() as u64 > limit {
        return Err(format!("file too large: more than {limit} bytes (it grew while read)"));
    }
    Ok(buf)
}

fn kind_name(meta: &std::fs::Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    "not a file"
}

/// All of standard input, if it holds at most `limit` bytes.
///
/// # Errors
/// One line saying why.
pub fn read_stdin(limit: u64) -> Result<Vec<u8>, String> {
    let mut buf = Vec::new();
    io::stdin()
        .lock()
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    if buf.len() as u64 > limit {
        return Err(format!("input too large: more than {limit} bytes"));
    }
    Ok(buf)
}

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
