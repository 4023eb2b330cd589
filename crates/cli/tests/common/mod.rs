//! Helpers shared by the CLI integration tests (`mod common;`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let p = std::env::temp_dir().join(format!("bytescope-cli-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap()
}

pub fn put(path: &Path, data: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// Runs `cmd` (stdin closed unless the caller set it) and returns its
/// output, failing the test if it has not ended within `secs` seconds (the
/// process is killed first).
pub fn run_within(cmd: &mut std::process::Command, secs: u64) -> std::process::Output {
    use std::io::Read as _;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mut child =
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    // Drained from threads so a full pipe never stalls the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let o = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let e = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not end within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    std::process::Output { status, stdout: o.join().unwrap(), stderr: e.join().unwrap() }
}

/// The `bytescope` binary under test.
pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_bytescope"))
}

/// Runs bytescope with stdout on a pseudo-terminal and returns what the
/// terminal received (its CR LF line ends back to LF).
#[cfg(unix)]
pub fn on_terminal(args: &[&str], input: &Path) -> String {
    on_terminal_env(args, input, &[])
}

/// [`on_terminal`] with extra environment variables.
#[cfg(unix)]
pub fn on_terminal_env(args: &[&str], input: &Path, env: &[(&str, &str)]) -> String {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    use std::io::Read as _;
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let name = ptsname(&master, Vec::new()).unwrap();
    let slave = std::fs::OpenOptions::new().read(true).write(true).open(name.to_str().unwrap()).unwrap();
    let mut master = std::fs::File::from(master);
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        // Ends with EIO once every copy of the slave is closed.
        let _ = master.read_to_end(&mut buf);
        buf
    });
    let mut cmd = bin();
    cmd.args(args).arg(input).stdout(slave).envs(env.iter().copied());
    let out = run_within_keep_stdout(&mut cmd, 30);
    // Closes the parent's copy of the slave, so the reader sees the end.
    drop(cmd);
    assert!(out.success(), "{args:?}");
    let bytes = reader.join().unwrap();
    String::from_utf8(bytes).unwrap().replace("\r\n", "\n")
}

/// Runs `cmd` (stdout already set) and waits at most `secs` seconds.
#[cfg(unix)]
fn run_within_keep_stdout(cmd: &mut std::process::Command, secs: u64) -> std::process::ExitStatus {
    let mut child = cmd.stderr(std::process::Stdio::null()).spawn().unwrap();
    let start = std::time::Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if start.elapsed().as_secs() > secs {
            let _ = child.kill();
            panic!("{cmd:?} did not end within {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
