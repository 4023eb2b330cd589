//! `bytescope extract`: list or unpack a frozen application.

use std::collections::{HashMap, HashSet};
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use bytescope_frozen::{App, Entry, FrozenError, Location};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// List or extract a frozen application (PyInstaller, py2exe, cx_Freeze)
///
/// Finds the PyInstaller archive in an ELF, PE or Mach-O executable (any
/// PyInstaller from 2.0 to 6.x; the executable of a onedir build; a
/// side-loaded .pkg file), the py2exe script resource, or a cx_Freeze or
/// py2exe library.zip, and lists its table of contents. Nuitka builds are
/// named: they compile Python to C, so there is no bytecode to recover.
///
/// With -o DIR every entry is written below DIR: entry scripts and modules
/// as .pyc files whose header is that of the application's own Python
/// version (read from the archive: the PYZ's magic, a module's header, the
/// cookie's version field or the Python library's name; never the host's),
/// PYZ modules under `<PYZ name>_extracted/` as package paths
/// (`mypkg/__init__.pyc`, `mypkg/inner.pyc`), AES-encrypted PYZs
/// (PyInstaller 3.x-5.x --key) decrypted with the key the archive carries,
/// data and binaries as they are. Nothing is executed.
///
/// Member names are untrusted. Each becomes a relative path: `/` and `\`
/// separate components, absolute paths and drive letters lose their root,
/// `..` becomes `__`, control and Windows-reserved characters become `_`.
/// Two names that end up the same (also when only their case differs) get
/// `~1`, `~2`, … before the extension; a name whose parent is a file
/// goes to `PARENT~N/`. DIR must be empty or absent; files are created
/// anew (never through an existing file or symbolic link), and symbolic
/// link entries are written as small files holding the link's target.
///
/// --json prints JSON Lines: first {"type":"app", "path", "freezer",
/// "format", "version", "magic", "version_source", "pyinstaller":{cookie
/// fields}, "encryption", "entries", "warnings"}, then per entry
/// {"type":"entry", "path", "name", "kind", "archive", "typecode",
/// "version", "offset", "stored_size", "compressed", "encrypted", "size",
/// "sha256", "output", "error"}. "output" is the file's path relative to
/// DIR (null when nothing was written, or when listing); "size" and
/// "sha256" describe the bytes written (null when listing).
///
/// Everything inflated from one input is limited to 64 MiB plus 16 bytes
/// per input byte (zip bombs and lying sizes stop with an error). The exit
/// status is 1 if any entry failed.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The application: an executable, a onedir build's directory, a
    /// .pkg, or a library.zip.
    #[arg(value_name = "APP")]
    pub app: PathBuf,

    /// Write every entry below this directory (else list the table of
    /// contents).
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// JSON Lines instead of text.
    #[arg(long)]
    json: bool,
}

/// Largest input read (as the batch layer).
const MAX_INPUT: u64 = 4 << 30;

fn read_input(path: &Path) -> anyhow::Result<Vec<u8>> {
    // Regular files only (a FIFO would block), size checked before
    // allocating, memory reserved fallibly.
    let limits = bytescope_batch::Limits { max_file_size: MAX_INPUT, ..Default::default() };
    bytescope_batch::read_file(path, &limits).with_context(|| format!("cannot read {}", path.display()))
}

/// The file of a onedir build's directory that holds the archive: the one
/// file directly inside it that opens as a frozen application.
fn app_in_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .collect();
    names.sort();
    for p in names {
        if let Ok(data) = read_input(&p)
            && bytescope_frozen::sniff(&data)
        {
            return Ok(p);
        }
    }
    bail!("{}: no file in this directory holds a frozen application", dir.display())
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let path = if args.app.is_dir() { app_in_dir(&args.app)? } else { args.app.clone() };
    let data = read_input(&path)?;
    let app = App::open(&data[..]).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    // Names as shown in text (escaped, see docs/cli.md); JSON carries them
    // exactly.
    let shown = crate::text::path(&path);
    let exact = path.to_string_lossy().into_owned();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for w in &app.warnings {
        crate::text::report(&shown, &format!("warning: {w}"));
    }
    if args.json {
        writeln!(out, "{}", app_record(&app, &exact))?;
    } else {
        write_summary(&mut out, &app, &shown)?;
    }
    let mut writer = match &args.output {
        Some(dir) => Some(Writer::new(dir)?),
        None => None,
    };
    let mut failed = 0usize;
    let mut written = 0usize;
    for e in &app.entries {
        let mut rec = entry_record(&app, e, &exact);
        if let Some(w) = writer.as_mut()
            && let Some(rel) = &e.path
        {
            let (bytes, error, suffix) = match app.extract(e) {
                Ok(b) => (Some(b), None, ""),
                // Keep what cannot be decrypted, as it is stored.
                Err(err @ FrozenError::Encrypted { .. }) => {
                    (Some(app.stored(e).to_vec()), Some(err), ".encrypted")
                }
                Err(err) => (None, Some(err), ""),
            };
            if let Some(bytes) = bytes {
                let target = w.write(&format!("{rel}{suffix}"), &bytes)?;
                written += 1;
                rec["size"] = json!(bytes.len());
                rec["sha256"] = json!(hex(&Sha256::digest(&bytes)));
                rec["output"] = json!(target);
            }
            if let Some(err) = error {
                failed += 1;
                crate::text::report(&format!("{shown}:{}", crate::text::message(&e.name)), &err.to_string());
                rec["error"] = json!(err.to_string());
            }
        }
        if args.json {
            writeln!(out, "{rec}")?;
        } else if writer.is_none() {
            write_entry_line(&mut out, e)?;
        }
    }
    if let (Some(dir), false) = (&args.output, args.json) {
        writeln!(
            out,
            "{written} files written to {}{}",
            crate::text::path(dir),
            if failed > 0 { format!(" ({failed} entries failed)") } else { String::new() }
        )?;
    }
    out.flush()?;
    Ok(if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn version_fields(app: &App<&[u8]>) -> (Value, Value, Value) {
    match app.target {
        Some(t) => (
            json!(t.version.to_string()),
            json!(u16::from_le_bytes([t.magic[0], t.magic[1]])),
            json!(t.source.name()),
        ),
        None => (Value::Null, Value::Null, Value::Null),
    }
}

fn app_record(app: &App<&[u8]>, path: &str) -> Value {
    let (version, magic, source) = version_fields(app);
    let pyinstaller = app.carchive.as_ref().map(|a| {
        json!({
            "cookie_offset": a.cookie.offset,
            "cookie_size": a.cookie.len,
            "package_offset": a.pkg_start(),
            "package_size": a.cookie.pkg_length,
            "toc_offset": a.cookie.toc_offset,
            "toc_size": a.cookie.toc_length,
            "pyvers": a.cookie.pyvers,
            "libname": a.cookie.libname,
            "custom_magic": a.cookie.custom_magic.map(|m| hex(&m)),
        })
    });
    let encryption = app.pyzs.iter().any(|p| p.pyz.encrypted).then(|| match &app.key {
        Some((k, m)) => json!({"mode": m.name(), "key": k.stored}),
        None => json!({"mode": null, "key": null}),
    });
    json!({
        "type": "app",
        "path": path,
        "freezer": app.freezer.name(),
        "format": app.format.name(),
        "version": version,
        "magic": magic,
        "version_source": source,
        "pyinstaller": pyinstaller,
        "encryption": encryption,
        "entries": app.entries.len(),
        "warnings": app.warnings,
    })
}

fn archive_name(e: &Entry) -> &'static str {
    match e.location {
        Location::CArchive { .. } => "carchive",
        Location::Pyz { .. } => "pyz",
        Location::Zip { .. } => "zip",
        Location::Py2exeScript { .. } => "py2exe",
    }
}

fn entry_record(app: &App<&[u8]>, e: &Entry, path: &str) -> Value {
    let version = if e.kind.is_code() { version_fields(app).0 } else { Value::Null };
    json!({
        "type": "entry",
        "path": path,
        "name": e.name,
        "kind": e.kind.name(),
        "archive": archive_name(e),
        "typecode": e.typecode.map(String::from),
        "version": version,
        "offset": e.offset,
        "stored_size": e.stored_len,
        "compressed": e.compressed,
        "encrypted": e.encrypted,
        "size": null,
        "sha256": null,
        "output": null,
        "error": null,
    })
}

fn write_summary(out: &mut impl io::Write, app: &App<&[u8]>, path: &str) -> io::Result<()> {
    write!(out, "{path}: {} ({})", app.freezer.name(), app.format.name())?;
    match app.target {
        Some(t) => write!(
            out,
            ", Python {} (magic {}, from the {})",
            t.version,
            u16::from_le_bytes([t.magic[0], t.magic[1]]),
            t.source.name()
        )?,
        None => write!(out, ", Python version unknown")?,
    }
    if let Some((k, m)) = &app.key {
        write!(out, ", PYZ encrypted ({}, key {:?})", m.name(), k.stored)?;
    }
    let n = app.entries.len();
    writeln!(out, ", {n} {}", if n == 1 { "entry" } else { "entries" })
}

fn write_entry_line(out: &mut impl io::Write, e: &Entry) -> io::Result<()> {
    let tc = e.typecode.map_or_else(|| " ".to_owned(), String::from);
    let flags = format!("{}{}", if e.compressed { "z" } else { "-" }, if e.encrypted { "e" } else { "-" });
    let target = e.path.as_deref().map(|p| format!("  -> {}", crate::text::message(p))).unwrap_or_default();
    writeln!(
        out,
        "{:<18} {tc} {flags} {:>10} {:>10}  {}{target}",
        e.kind.name(),
        format!("{:#x}", e.offset),
        e.stored_len,
        crate::text::message(&e.name)
    )
}

/// Writes files below one directory, safely (see the command's help).
struct Writer {
    root: PathBuf,
    /// Lower-cased relative paths taken by files and by directories.
    files: HashSet<String>,
    dirs: HashSet<String>,
    /// Directory prefixes renamed because a file took their name.
    renamed: HashMap<String, String>,
}

impl Writer {
    fn new(root: &Path) -> anyhow::Result<Self> {
        match fs::symlink_metadata(root) {
            Ok(m) if m.is_dir() || root.is_dir() => {
                let mut it = fs::read_dir(root).with_context(|| format!("cannot read {}", root.display()))?;
                if it.next().is_some() {
                    bail!("{}: the output directory is not empty (give a new or empty one)", root.display());
                }
            }
            Ok(_) => bail!("{}: exists and is not a directory", root.display()),
            Err(_) => {
                fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?
            }
        }
        Ok(Writer {
            root: root.to_owned(),
            files: HashSet::new(),
            dirs: HashSet::new(),
            renamed: HashMap::new(),
        })
    }

    /// `name` with `~n` before its extension.
    fn numbered(name: &str, n: usize) -> String {
        match name.rfind('.') {
            Some(i) if i > 0 => format!("{}~{n}{}", &name[..i], &name[i..]),
            _ => format!("{name}~{n}"),
        }
    }

    /// The relative path a sanitised `rel` is written to, reserved.
    fn place(&mut self, rel: &str) -> String {
        let parts: Vec<&str> = rel.split('/').collect();
        let (dirs, file) = parts.split_at(parts.len() - 1);
        let mut prefix = String::new();
        for d in dirs {
            let wanted = if prefix.is_empty() { (*d).to_owned() } else { format!("{prefix}/{d}") };
            let key = wanted.to_lowercase();
            let actual = if let Some(a) = self.renamed.get(&key) {
                a.clone()
            } else if self.files.contains(&key) {
                let mut n = 1;
                let a = loop {
                    let c = format!("{wanted}~{n}");
                    let k = c.to_lowercase();
                    if !self.files.contains(&k) {
                        break c;
                    }
                    n += 1;
                };
                self.renamed.insert(key, a.clone());
                a
            } else {
                wanted
            };
            self.dirs.insert(actual.to_lowercase());
            prefix = actual;
        }
        let join = |f: &str| if prefix.is_empty() { f.to_owned() } else { format!("{prefix}/{f}") };
        let mut candidate = join(file[0]);
        let mut n = 1;
        while self.files.contains(&candidate.to_lowercase()) || self.dirs.contains(&candidate.to_lowercase())
        {
            candidate = join(&Self::numbered(file[0], n));
            n += 1;
        }
        self.files.insert(candidate.to_lowercase());
        candidate
    }

    /// Writes `bytes` at (a collision-free version of) `rel`; returns the
    /// path used, relative to the root.
    fn write(&mut self, rel: &str, bytes: &[u8]) -> anyhow::Result<String> {
        let placed = self.place(&bytescope_frozen::safe_path(rel));
        let mut dir = self.root.clone();
        let parts: Vec<&str> = placed.split('/').collect();
        for d in &parts[..parts.len() - 1] {
            dir.push(d);
            match fs::create_dir(&dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    // Only directories this run created may be there.
                    let m = fs::symlink_metadata(&dir)?;
                    if !m.is_dir() {
                        bail!("{}: exists and is not a directory (not writing through it)", dir.display());
                    }
                }
                Err(e) => return Err(e).with_context(|| format!("cannot create {}", dir.display())),
            }
        }
        let file = dir.join(parts[parts.len() - 1]);
        // create_new: never an existing file, never through a symbolic link.
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&file)
            .with_context(|| format!("cannot create {}", file.display()))?;
        f.write_all(bytes).with_context(|| format!("cannot write {}", file.display()))?;
        Ok(placed)
    }
}
