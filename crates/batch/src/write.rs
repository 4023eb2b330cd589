//! Writing one output file (`rewrite`'s output, the Python package's
//! `Pyc.write`): never left half-written, never written through a link an
//! attacker planted at the output's name, never blocked on a FIFO with no
//! reader.

use std::fs::OpenOptions;
use std::io::{self, Write as _};
use std::path::Path;

/// Why [`write_atomically`] failed (the caller names the path).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The path is a directory.
    #[error("it is a directory")]
    IsDirectory,
    /// A FIFO, device or socket at the path could not be opened (a FIFO
    /// with no reader: "No such device or address") or written.
    #[error("not a regular file, and writing to it failed: {0}")]
    Direct(#[source] io::Error),
    /// No temporary file could be made beside the path.
    #[error("cannot create a temporary file in its directory: {0}")]
    Temporary(#[source] io::Error),
    /// The temporary file could not be written or synced.
    #[error("cannot write the temporary file: {0}")]
    TemporaryWrite(#[source] io::Error),
    /// The temporary file could not be renamed over the path.
    #[error("cannot rename the temporary file into place: {0}")]
    Rename(#[source] io::Error),
}

/// Writes `data` to `path` through a temporary file in the same directory,
/// renamed over `path` once complete and synced: on any error `path` is as
/// it was (in place too: `rewrite a.pyc a.pyc`). A replaced file keeps its
/// permissions; a symbolic link at `path` to a regular file (or to nothing)
/// is replaced, not followed, so a link planted in a shared directory cannot
/// redirect the write into another file. An existing `path` that is not a
/// regular file, or links to one that is not (`/dev/null`, `/dev/stdout`, a
/// FIFO), is written to directly, opened without waiting: a FIFO nobody
/// reads is an error, not a hang.
///
/// # Errors
/// The step that failed, with the OS error ([`WriteError`]).
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<(), WriteError> {
    // Followed: `/dev/stdout` is a link to a device, and a link to a FIFO or
    // device is written through; a link to a regular file is replaced below.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        // Never rename over a device, FIFO or socket (or a directory).
        if meta.is_dir() {
            return Err(WriteError::IsDirectory);
        }
        return write_direct(path, data).map_err(WriteError::Direct);
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
    let mut tmp = builder.tempfile_in(dir).map_err(WriteError::Temporary)?;
    tmp.write_all(data).and_then(|()| tmp.as_file().sync_all()).map_err(WriteError::TemporaryWrite)?;
    tmp.persist(path).map_err(|e| WriteError::Rename(e.error))?;
    Ok(())
}

/// Writes to an existing non-regular file: opened without waiting for a
/// FIFO's reader, then written blocking (a pipe fills faster than it drains).
fn write_direct(path: &Path, data: &[u8]) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32);
    }
    let mut f = opts.open(path)?;
    #[cfg(unix)]
    {
        let flags = rustix::fs::fcntl_getfl(&f)?;
        rustix::fs::fcntl_setfl(&f, flags - rustix::fs::OFlags::NONBLOCK)?;
    }
    f.write_all(data)?;
    f.flush()
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn tmpdir() -> tempfile::TempDir {
        tempfile::tempdir().expect("a temporary directory")
    }

    #[test]
    fn new_and_replaced_files() {
        let d = tmpdir();
        let p = d.path().join("out.pyc");
        write_atomically(&p, b"one").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_planted_link_is_replaced_not_followed() {
        let d = tmpdir();
        let target = d.path().join("victim");
        std::fs::write(&target, b"precious").unwrap();
        let link = d.path().join("out.pyc");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomically(&link, b"data").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"precious");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
        assert_eq!(std::fs::read(&link).unwrap(), b"data");
        // A dangling link too.
        let dangling = d.path().join("dangling.pyc");
        std::os::unix::fs::symlink(d.path().join("nowhere/x"), &dangling).unwrap();
        write_atomically(&dangling, b"d").unwrap();
        assert_eq!(std::fs::read(&dangling).unwrap(), b"d");
    }

    #[test]
    fn directories_devices_and_fifos() {
        let d = tmpdir();
        assert!(matches!(write_atomically(d.path(), b"x"), Err(WriteError::IsDirectory)));
        write_atomically(Path::new("/dev/null"), b"x").unwrap();
        // A link to a device is written through, not replaced.
        let null = d.path().join("null");
        std::os::unix::fs::symlink("/dev/null", &null).unwrap();
        write_atomically(&null, b"x").unwrap();
        assert!(std::fs::symlink_metadata(&null).unwrap().file_type().is_symlink());
        // A FIFO nobody reads: an error at once, not a hang.
        let fifo = d.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
        let err = write_atomically(&fifo, b"x").unwrap_err();
        assert!(
            matches!(err, WriteError::Direct(ref e) if e.raw_os_error() == Some(rustix::io::Errno::NXIO.raw_os_error())),
            "{err}"
        );
        // With a reader, more than a pipe holds is written whole.
        let reader = std::thread::spawn({
            let fifo = fifo.clone();
            move || std::fs::read(fifo).unwrap().len()
        });
        let big = vec![7u8; 1 << 20];
        let mut tries = 0;
        loop {
            match write_atomically(&fifo, &big) {
                Ok(()) => break,
                // The reader may not have opened its end yet.
                Err(WriteError::Direct(_)) if tries < 500 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(reader.join().unwrap(), big.len());
    }
}
