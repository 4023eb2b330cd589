//! Bounded reads of regular files and standard input.
//!
//! Only regular files are opened: a path is first `stat`ed (following
//! symbolic links), and anything else — a FIFO, socket or device — is
//! refused without being opened, so a FIFO named `x.pyc` cannot block a run.
//! The open itself is non-blocking and the opened file is checked again
//! (a path swapped for a FIFO in between still cannot block). Sizes are
//! checked against the limit before any allocation, reads never go more
//! than one byte past it (a file that grows while it is read), and the
//! buffers are reserved fallibly: a file too large for the memory left is
//! one error, not an abort.

use std::collections::TryReserveError;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::path::Path;

use crate::{InputError, Limits};

/// The least a reused input buffer that must grow is replaced by.
const INPUT_FLOOR: usize = 1 << 20;

/// Empties `buf` and makes room for `n` bytes, fallibly. Too small a buffer
/// is replaced, not grown (growing would copy stale contents): by one of
/// exactly `n` bytes the first time, else by one at least twice as large and
/// at least [`INPUT_FLOOR`], so a batch of ever larger files replaces it
/// once or twice, not at every file.
pub(crate) fn reserve(buf: &mut Vec<u8>, n: usize) -> Result<(), TryReserveError> {
    buf.clear();
    if buf.capacity() >= n {
        return Ok(());
    }
    let first = buf.capacity() == 0;
    let roomy = n.max(buf.capacity().saturating_mul(2)).max(INPUT_FLOOR);
    *buf = Vec::new();
    if !first && buf.try_reserve_exact(roomy).is_ok() {
        return Ok(());
    }
    buf.try_reserve_exact(n)
}

/// What kind of file `t` is, for messages.
pub(crate) fn kind_of(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Opens `path` if it is (or links to) a regular file. `explicit`: named by
/// the user rather than found in a directory (only changes the message).
pub(crate) fn open_regular(path: &Path, explicit: bool) -> Result<(File, Metadata), InputError> {
    let meta = std::fs::metadata(path).map_err(InputError::Read)?;
    if !meta.is_file() {
        return Err(InputError::NotRegular { kind: kind_of(&meta.file_type()), explicit });
    }
    open_checked(path, explicit)
}

/// [`open_regular`] for a path already found to be a regular file (by a
/// directory listing or a `stat`): opened without waiting and checked again,
/// in case it was replaced in between.
pub(crate) fn open_checked(path: &Path, explicit: bool) -> Result<(File, Metadata), InputError> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use rustix::fs::OFlags;
        use std::os::unix::fs::OpenOptionsExt;
        // Never wait for a FIFO's writer, never adopt a terminal.
        opts.custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32);
    }
    let file = opts.open(path).map_err(InputError::Read)?;
    let meta = file.metadata().map_err(InputError::Read)?;
    if !meta.is_file() {
        return Err(InputError::NotRegular { kind: kind_of(&meta.file_type()), explicit });
    }
    Ok((file, meta))
}

/// Reads the open file `f` into `buf`, within `limits.max_file_size`:
/// `size` is what `stat` said (`None` for a stream of unknown size; a
/// growing file may hold more). The bytes are `buf[..n]` for the `n`
/// returned; `buf` keeps its length past `n`, so a reused buffer is zeroed
/// only where no earlier file reached.
///
/// The read asks for one byte more than `size`, so a read that stops short
/// exactly at `size` bytes is the end of the file: a file costs one `read`.
pub(crate) fn read_bounded(
    f: &mut impl Read,
    size: Option<u64>,
    limits: &Limits,
    buf: &mut Vec<u8>,
) -> Result<usize, InputError> {
    let max = limits.max_file_size;
    if let Some(size) = size
        && size > max
    {
        return Err(InputError::FileTooLarge { size, limit: max });
    }
    // Never more than one byte past the limit (which tells a too-large
    // file apart).
    let ceiling = usize::try_from(max.saturating_add(1)).unwrap_or(usize::MAX);
    let first = match size {
        Some(size) => usize::try_from(size).unwrap_or(usize::MAX).saturating_add(1),
        None => 64 << 10,
    };
    let mut want = first.min(ceiling);
    if buf.capacity() < want {
        reserve(buf, want).map_err(|_| InputError::OutOfMemory { size: want as u64 })?;
    }
    let mut n = 0;
    loop {
        if buf.len() < want {
            buf.resize(want, 0);
        }
        match f.read(&mut buf[n..want]) {
            Ok(0) => break,
            Ok(k) => {
                n += k;
                if n == want {
                    if n >= ceiling {
                        break;
                    }
                    // More than `stat` said (a stream, a growing file).
                    want = n.saturating_mul(2).max(8 << 10).min(ceiling);
                    buf.try_reserve(want - buf.len())
                        .map_err(|_| InputError::OutOfMemory { size: want as u64 })?;
                } else if size == Some(n as u64) {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(InputError::Read(e)),
        }
    }
    if n as u64 > max {
        return Err(InputError::FileTooLarge { size: n as u64, limit: max });
    }
    Ok(n)
}

/// Reads a regular file (or standard input, for the path `-`) whole,
/// within `limits.max_file_size`, refusing FIFOs, sockets and devices
/// without opening them. For callers that read one file outside a batch
/// (source files to compile, `--source` files, `rewrite`'s input).
///
/// # Errors
/// [`InputError::NotRegular`], [`InputError::FileTooLarge`],
/// [`InputError::OutOfMemory`] or [`InputError::Read`].
pub fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>, InputError> {
    read_file_with_metadata(path, limits).map(|(data, _)| data)
}

/// [`read_file`], also returning the file's metadata as the opened file
/// has it (`None` for standard input that is not a regular file).
///
/// # Errors
/// As [`read_file`].
pub fn read_file_with_metadata(
    path: &Path,
    limits: &Limits,
) -> Result<(Vec<u8>, Option<Metadata>), InputError> {
    let mut buf = Vec::new();
    if crate::is_stdin(path) {
        let n = read_stdin(limits, &mut buf)?;
        buf.truncate(n);
        return Ok((buf, None));
    }
    let (mut file, meta) = open_regular(path, true)?;
    let n = read_bounded(&mut file, Some(meta.len()), limits, &mut buf)?;
    buf.truncate(n);
    Ok((buf, Some(meta)))
}

/// Reads standard input into `buf` (bytes `buf[..n]`), within the limit.
/// Redirected from a regular file, its size is checked first.
pub(crate) fn read_stdin(limits: &Limits, buf: &mut Vec<u8>) -> Result<usize, InputError> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stdin().as_fd().try_clone_to_owned() {
            let mut f = File::from(fd);
            let size = f.metadata().ok().filter(Metadata::is_file).map(|m| m.len());
            return read_bounded(&mut f, size, limits, buf);
        }
    }
    read_bounded(&mut io::stdin().lock(), None, limits, buf)
}
