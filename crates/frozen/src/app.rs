//! One frozen application: its entries, its target version, extraction.

use std::io::Cursor;

use bytescope_pyc::{PythonVersion, final_magic, header_len, lookup_magic};
use zip::ZipArchive;

use crate::carchive::{CArchive, SIDELOAD_MAGIC, TocEntry, libname_version};
use crate::crypto::{self, Key, Mode};
use crate::exe::{ExeFormat, pe_resource};
use crate::inflate::inflate;
use crate::pyz::{Pyz, PyzKind};
use crate::{Budget, FrozenError, safe_path, zipapp};

/// Which tool froze the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Freezer {
    /// PyInstaller (a CArchive).
    PyInstaller,
    /// cx_Freeze (`library.zip`).
    CxFreeze,
    /// py2exe (`library.zip` or the `PYTHONSCRIPT` resource).
    Py2exe,
}

impl Freezer {
    /// The name used in messages and JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Freezer::PyInstaller => "PyInstaller",
            Freezer::CxFreeze => "cx_Freeze",
            Freezer::Py2exe => "py2exe",
        }
    }
}

/// Where the target version was read from, most precise first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VersionSource {
    /// The PYZ header's magic: the exact build interpreter.
    PyzMagic,
    /// The header of a module stored as a complete `.pyc`.
    ModuleHeader,
    /// The PyInstaller cookie's version field (major.minor only).
    Cookie,
    /// The bundled Python library's name (major.minor only).
    LibraryName,
}

impl VersionSource {
    /// The name used in messages and JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            VersionSource::PyzMagic => "PYZ magic",
            VersionSource::ModuleHeader => "module header",
            VersionSource::Cookie => "cookie version field",
            VersionSource::LibraryName => "Python library name",
        }
    }
}

/// The CPython the application was built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Target {
    /// The pyc magic written in front of extracted modules.
    pub magic: [u8; 4],
    /// Its minor version.
    pub version: PythonVersion,
    /// Where it was read from.
    pub source: VersionSource,
}

impl Target {
    fn from_magic(magic: [u8; 4], source: VersionSource) -> Option<Target> {
        if magic[2..] != *b"\r\n" {
            return None;
        }
        let info = lookup_magic(u16::from_le_bytes([magic[0], magic[1]]))?;
        Some(Target { magic, version: info.version, source })
    }

    fn from_version(version: PythonVersion, source: VersionSource) -> Option<Target> {
        let [a, b] = final_magic(version)?.to_le_bytes();
        Some(Target { magic: [a, b, b'\r', b'\n'], version, source })
    }

    /// The pyc header written in front of extracted modules: the magic, then
    /// zeros (flags 0, mtime 0, source size 0) up to the version's header
    /// length.
    #[must_use]
    pub fn header(&self) -> Vec<u8> {
        let mut h = self.magic.to_vec();
        h.resize(header_len(self.version), 0);
        h
    }
}

/// What an entry holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// An entry script (CArchive `s`; cx_Freeze `__main__…`; py2exe's
    /// scripts), bytecode.
    Script,
    /// An entry script stored as source text (PyInstaller ≤ 3.1).
    ScriptSource,
    /// A module the bootloader runs first (CArchive `m`/`M`).
    Bootstrap,
    /// A module (PYZ typ 0; a `.pyc` data entry or zip member).
    Module,
    /// A package's `__init__` (PYZ typ 1).
    Package,
    /// A PEP 420 namespace package (PYZ typ 3).
    NamespacePackage,
    /// A data file (CArchive `x`, PYZ typ 2, zip members that are not pycs).
    Data,
    /// A shared library or executable (CArchive `b`).
    Binary,
    /// A PYZ archive (CArchive `z`).
    Pyz,
    /// A zip file (CArchive `Z`, or `x` entries such as `base_library.zip`).
    Zip,
    /// Splash-screen resources (CArchive `l`).
    Splash,
    /// A symbolic link (CArchive `n`).
    Symlink,
    /// A runtime option (CArchive `o`): the whole option is the name.
    Option,
    /// A MERGE reference to a file in another executable (CArchive `d`).
    Dependency,
    /// A nested package (CArchive `a`).
    Nested,
    /// An unknown typecode.
    Other,
}

impl EntryKind {
    /// The name used in listings and JSON.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Script => "script",
            EntryKind::ScriptSource => "script-source",
            EntryKind::Bootstrap => "bootstrap",
            EntryKind::Module => "module",
            EntryKind::Package => "package",
            EntryKind::NamespacePackage => "namespace-package",
            EntryKind::Data => "data",
            EntryKind::Binary => "binary",
            EntryKind::Pyz => "pyz",
            EntryKind::Zip => "zip",
            EntryKind::Splash => "splash",
            EntryKind::Symlink => "symlink",
            EntryKind::Option => "option",
            EntryKind::Dependency => "dependency",
            EntryKind::Nested => "nested-package",
            EntryKind::Other => "other",
        }
    }

    /// Whether the entry is extracted as a `.pyc`.
    #[must_use]
    pub fn is_code(self) -> bool {
        matches!(
            self,
            EntryKind::Script
                | EntryKind::Bootstrap
                | EntryKind::Module
                | EntryKind::Package
                | EntryKind::NamespacePackage
        )
    }
}

/// Where an entry's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// The CArchive record `index`.
    CArchive {
        /// Index in [`CArchive::entries`].
        index: usize,
    },
    /// Entry `index` of PYZ archive `archive`.
    Pyz {
        /// Index in [`App::pyzs`].
        archive: usize,
        /// Index in [`Pyz::entries`].
        index: usize,
    },
    /// Zip member `index`.
    Zip {
        /// Index in the zip's central directory.
        index: usize,
    },
    /// Code object `index` of py2exe's `PYTHONSCRIPT` list.
    Py2exeScript {
        /// Index in the list.
        index: usize,
    },
}

/// One entry of an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The name as stored: a CArchive name, a dotted module name, a zip
    /// member name.
    pub name: String,
    /// What it holds.
    pub kind: EntryKind,
    /// Where its bytes are.
    pub location: Location,
    /// The CArchive typecode, or the PYZ typ as a digit.
    pub typecode: Option<char>,
    /// Absolute offset of its stored bytes in the input (0 when it has none).
    pub offset: u64,
    /// Stored length.
    pub stored_len: u64,
    /// Stored compressed.
    pub compressed: bool,
    /// Stored encrypted.
    pub encrypted: bool,
    /// The relative output path ([`safe_path`] of the name, `/`-separated),
    /// or `None` when there is nothing to write (options, references,
    /// empty namespace packages).
    pub path: Option<String>,
}

/// A PYZ archive.
#[derive(Clone, Debug)]
pub struct PyzAt {
    /// The parsed archive.
    pub pyz: Pyz,
    /// Its bytes, when the CArchive stored it compressed (else they are
    /// the input's, at [`Pyz::base`]).
    inflated: Option<Vec<u8>>,
    /// The name of its CArchive entry (`PYZ.pyz`, `PYZ-00.pyz`, …).
    pub name: String,
}

/// An opened frozen application, over its input `D` (`&[u8]`, `Arc<[u8]>`,
/// `Vec<u8>`, …). Extractions from one application, from any thread, share
/// one inflation [`Budget`].
#[derive(Debug)]
pub struct App<D: AsRef<[u8]> + Clone> {
    data: D,
    /// The freezer.
    pub freezer: Freezer,
    /// The executable format of the input.
    pub format: ExeFormat,
    /// The CArchive (PyInstaller).
    pub carchive: Option<CArchive>,
    /// The PYZ archives (PyInstaller), in CArchive order.
    pub pyzs: Vec<PyzAt>,
    /// The CPython the application was built with, when known.
    pub target: Option<Target>,
    /// The recovered PYZ key and cipher mode (encrypted PyInstaller 3.x–5.x).
    pub key: Option<(Key, Mode)>,
    /// Every entry: CArchive records in order, each PYZ's modules after its
    /// record; zip members in central-directory order.
    pub entries: Vec<Entry>,
    /// Things worth telling the user that do not stop extraction.
    pub warnings: Vec<String>,
    zip: Option<ZipArchive<Cursor<D>>>,
    /// py2exe: the marshal data of each script, references renumbered (or
    /// why it cannot be cut out of the list).
    scripts: Vec<Result<Vec<u8>, String>>,
    budget: Budget,
}

/// Markers of a Nuitka build (bootstrap environment variables).
const NUITKA_MARKERS: [&[u8]; 3] =
    [b"NUITKA_ONEFILE_PARENT", b"NUITKA_ONEFILE_DIRECTORY", b"NUITKA_ORIGINAL_ARGV0"];

/// Whether `data` looks like a frozen application this crate opens (or
/// names, for Nuitka), without parsing it: a PyInstaller cookie magic, a
/// py2exe `PYTHONSCRIPT` resource or Nuitka's markers. cx_Freeze and py2exe
/// libraries are plain zips and are not sniffed here.
#[must_use]
pub fn sniff(data: &[u8]) -> bool {
    CArchive::has_magic(data)
        || (ExeFormat::of(data) == ExeFormat::Pe && pe_resource(data, "PYTHONSCRIPT", 1).is_some())
        || (ExeFormat::of(data) != ExeFormat::Other && nuitka_marker(data).is_some())
}

fn nuitka_marker(data: &[u8]) -> Option<&'static str> {
    for m in NUITKA_MARKERS {
        if memchr::memmem::find(data, m).is_some() {
            return std::str::from_utf8(m).ok();
        }
    }
    (memchr::memmem::find(data, b"__compiled__").is_some() && memchr::memmem::find(data, b"Nuitka").is_some())
        .then_some("__compiled__")
}

fn carchive_kind(e: &TocEntry) -> EntryKind {
    match e.typecode {
        b's' => EntryKind::Script,
        b'm' | b'M' => EntryKind::Bootstrap,
        b'z' => EntryKind::Pyz,
        b'Z' => EntryKind::Zip,
        b'x' if e.name.to_ascii_lowercase().ends_with(".pyc") => EntryKind::Module,
        b'x' if e.name.to_ascii_lowercase().ends_with(".zip") => EntryKind::Zip,
        b'x' => EntryKind::Data,
        b'b' => EntryKind::Binary,
        b'o' => EntryKind::Option,
        b'd' => EntryKind::Dependency,
        b'l' => EntryKind::Splash,
        b'n' => EntryKind::Symlink,
        b'a' => EntryKind::Nested,
        _ => EntryKind::Other,
    }
}

/// Whether `data` starts with a pyc magic number (a complete `.pyc`).
fn has_pyc_header(data: &[u8]) -> bool {
    matches!(data, [a, b, b'\r', b'\n', ..] if lookup_magic(u16::from_le_bytes([*a, *b])).is_some())
}

impl<D: AsRef<[u8]> + Clone> App<D> {
    /// Opens the frozen application `data` (a whole file).
    ///
    /// # Errors
    /// [`FrozenError::NotFrozen`] when nothing is recognised,
    /// [`FrozenError::Nuitka`] for a Nuitka build, or the first structural
    /// problem of the archive.
    pub fn open(input: D) -> Result<App<D>, FrozenError> {
        let owner = input.clone();
        let data = owner.as_ref();
        let format = ExeFormat::of(data);
        let mut app = App {
            data: input,
            freezer: Freezer::PyInstaller,
            format,
            carchive: None,
            pyzs: Vec::new(),
            target: None,
            key: None,
            entries: Vec::new(),
            warnings: Vec::new(),
            zip: None,
            scripts: Vec::new(),
            budget: Budget::for_input(data.len()),
        };
        if let Some(a) = CArchive::find(data)? {
            app.open_pyinstaller(a)?;
            return Ok(app);
        }
        if format == ExeFormat::Pe
            && let Some((off, len)) = pe_resource(data, "PYTHONSCRIPT", 1)
        {
            app.freezer = Freezer::Py2exe;
            app.open_py2exe(off, len)?;
            return Ok(app);
        }
        if let Some((freezer, zip, members)) = zipapp::open(app.data.clone()) {
            app.freezer = freezer;
            app.open_zip(zip, members);
            return Ok(app);
        }
        if format != ExeFormat::Other
            && let Some(marker) = nuitka_marker(data)
        {
            return Err(FrozenError::Nuitka(format!("found the marker {marker:?}")));
        }
        if memchr::memmem::find(data, &SIDELOAD_MAGIC).is_some() {
            return Err(FrozenError::NotFrozen(
                "a PyInstaller executable whose package is side-loaded: open the .pkg file beside it"
                    .to_owned(),
            ));
        }
        Err(FrozenError::NotFrozen(format!(
            "no PyInstaller cookie, py2exe script resource, cx_Freeze or py2exe library found in this {} file",
            format.name()
        )))
    }

    /// The input.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        self.data.as_ref()
    }

    /// The inflation budget: what extractions may still inflate.
    #[must_use]
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// The bytes of PYZ archive `i`.
    #[must_use]
    pub fn pyz_bytes(&self, i: usize) -> &[u8] {
        let p = &self.pyzs[i];
        match &p.inflated {
            Some(b) => b,
            None => crate::exe::slice(self.data.as_ref(), p.pyz.base, p.pyz.len).unwrap_or(&[]),
        }
    }

    fn open_pyinstaller(&mut self, a: CArchive) -> Result<(), FrozenError> {
        let pkg = a.pkg_start();
        if let Some(m) = a.cookie.custom_magic {
            self.warnings.push(format!(
                "custom cookie magic {} (a modified PyInstaller); the package was found through the {} container",
                m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" "),
                self.format.name()
            ));
        }
        let cookie_version = a.cookie.version();
        let lib_version = a.cookie.libname_version();
        for (i, e) in a.entries.iter().enumerate() {
            let kind = carchive_kind(e);
            let (start, _) = a.data_range(e);
            let path = match kind {
                EntryKind::Option | EntryKind::Dependency => None,
                k if k.is_code() && !e.name.to_ascii_lowercase().ends_with(".pyc") => {
                    Some(format!("{}.pyc", safe_path(&e.name)))
                }
                _ => Some(safe_path(&e.name)),
            };
            self.entries.push(Entry {
                name: e.name.clone(),
                kind,
                location: Location::CArchive { index: i },
                typecode: Some(char::from(e.typecode)),
                offset: if e.length > 0 { start } else { 0 },
                stored_len: u64::from(e.length),
                compressed: e.compression != 0,
                encrypted: e.compression == 2,
                path,
            });
            if kind != EntryKind::Pyz {
                continue;
            }
            let owner = self.data.clone();
            let stored = crate::exe::slice(owner.as_ref(), start, u64::from(e.length)).unwrap_or(&[]);
            let inflated = if e.compression == 0 {
                None
            } else {
                let what = || format!("PYZ entry {:?}", e.name);
                Some(inflate(stored, Some(u64::from(e.uncompressed_length)), &self.budget, &what, start)?)
            };
            let pyz =
                Pyz::parse(inflated.as_deref().unwrap_or(stored), start, cookie_version.or(lib_version))?;
            let archive = self.pyzs.len();
            let dir = format!("{}_extracted", safe_path(&e.name));
            for (j, m) in pyz.entries.iter().enumerate() {
                let kind = match m.kind {
                    PyzKind::Module => EntryKind::Module,
                    PyzKind::Package => EntryKind::Package,
                    PyzKind::NamespacePackage => EntryKind::NamespacePackage,
                    PyzKind::Data => EntryKind::Data,
                    PyzKind::Other(_) => EntryKind::Other,
                };
                let rel = if kind == EntryKind::Data {
                    safe_path(&m.name)
                } else {
                    safe_path(&m.name.replace('.', "/"))
                };
                let path = match kind {
                    EntryKind::Package | EntryKind::NamespacePackage if m.len > 0 => {
                        Some(format!("{rel}/__init__.pyc"))
                    }
                    EntryKind::NamespacePackage => None,
                    EntryKind::Data | EntryKind::Other => Some(rel),
                    _ => Some(format!("{rel}.pyc")),
                };
                self.entries.push(Entry {
                    name: m.name.clone(),
                    kind,
                    location: Location::Pyz { archive, index: j },
                    typecode: Some(match m.kind {
                        PyzKind::Module => '0',
                        PyzKind::Package => '1',
                        PyzKind::Data => '2',
                        PyzKind::NamespacePackage => '3',
                        PyzKind::Other(_) => '?',
                    }),
                    offset: if m.len > 0 { start + u64::from(m.pos) } else { 0 },
                    stored_len: u64::from(m.len),
                    compressed: m.len > 0,
                    encrypted: pyz.encrypted || pyz.crypted20,
                    path: path.map(|p| format!("{dir}/{p}")),
                });
            }
            self.pyzs.push(PyzAt { pyz, inflated, name: e.name.clone() });
        }
        let _ = pkg;
        self.carchive = Some(a);
        self.choose_target(cookie_version, lib_version);
        self.classify_scripts();
        self.recover_key();
        Ok(())
    }

    /// The target version: the PYZ magic, a bootstrap module's own header,
    /// the cookie's version field, the library name, in that order.
    fn choose_target(&mut self, cookie: Option<PythonVersion>, lib: Option<PythonVersion>) {
        let mut target =
            self.pyzs.iter().find_map(|p| Target::from_magic(p.pyz.magic, VersionSource::PyzMagic));
        if target.is_none() {
            for i in 0..self.entries.len() {
                if self.entries[i].kind != EntryKind::Bootstrap {
                    continue;
                }
                if let Ok(payload) = self.carchive_payload(&self.entries[i])
                    && has_pyc_header(&payload)
                {
                    target = Target::from_magic(
                        [payload[0], payload[1], payload[2], payload[3]],
                        VersionSource::ModuleHeader,
                    );
                    break;
                }
            }
        }
        let target = target
            .or_else(|| cookie.and_then(|v| Target::from_version(v, VersionSource::Cookie)))
            .or_else(|| lib.and_then(|v| Target::from_version(v, VersionSource::LibraryName)));
        if let (Some(t), Some(c)) = (target, cookie)
            && t.version != c
        {
            self.warnings.push(format!(
                "the {} says Python {} but the cookie's version field says {c}; using {}",
                t.source.name(),
                t.version,
                t.version
            ));
        }
        if target.is_none() {
            self.warnings
                .push("no Python version found in this archive: modules cannot be given a pyc header".into());
        }
        self.target = target;
    }

    /// PyInstaller ≤ 3.1 stored entry scripts as source text, later ones
    /// as marshal data: look at each script's first byte.
    fn classify_scripts(&mut self) {
        for i in 0..self.entries.len() {
            if self.entries[i].kind != EntryKind::Script {
                continue;
            }
            if let Ok(payload) = self.carchive_payload(&self.entries[i])
                && payload.first().is_some_and(|&b| b & 0x7f != b'c')
                && !has_pyc_header(&payload)
            {
                let e = &mut self.entries[i];
                e.kind = EntryKind::ScriptSource;
                e.path = Some(format!("{}.py", safe_path(&e.name)));
            }
        }
    }

    /// The key of an encrypted PYZ, from the `pyimod00_crypto_key` module,
    /// and the cipher mode that decrypts the archive's smallest entry.
    fn recover_key(&mut self) {
        let Some(p) = self.pyzs.iter().position(|p| p.pyz.encrypted) else { return };
        if self.pyzs[p].pyz.crypted20 {
            self.warnings.push("PYZ encrypted with PyInstaller 2.0's scheme, which is not supported".into());
        }
        let Some(target) = self.target else { return };
        let stored = self
            .entries
            .iter()
            .find(|e| e.kind == EntryKind::Bootstrap && e.name == "pyimod00_crypto_key")
            .and_then(|e| self.carchive_payload(e).ok())
            .and_then(|payload| {
                let body = if has_pyc_header(&payload) {
                    payload.get(header_len(target.version)..).unwrap_or(&[])
                } else {
                    &payload
                };
                crypto::key_from_module(body, target.version)
            });
        let Some(stored) = stored else {
            self.warnings.push(
                "the PYZ is encrypted but the archive has no usable pyimod00_crypto_key module: modules are written as .encrypted".into(),
            );
            return;
        };
        let Some(key) = Key::from_stored(&stored) else {
            self.warnings.push(format!("the PYZ key {stored:?} is not 16 bytes once padded"));
            return;
        };
        let pyz = &self.pyzs[p];
        let Some(probe) = pyz.pyz.entries.iter().filter(|e| e.len > 16).min_by_key(|e| e.len) else { return };
        let blob = &self.pyz_bytes(p)[probe.pos as usize..(probe.pos + probe.len) as usize];
        for mode in [Mode::Ctr, Mode::Cfb8] {
            let Some(plain) = crypto::decrypt(&key, mode, blob) else { continue };
            // zlib cannot expand more than about 1032:1.
            let trial = Budget::new(plain.len() as u64 * 1100 + 1024);
            if inflate(&plain, None, &trial, &String::new, 0).is_ok() {
                self.key = Some((key, mode));
                return;
            }
        }
        self.warnings.push(format!(
            "the PYZ key {stored:?} decrypts no entry in CTR or CFB-8 mode: modules are written as .encrypted"
        ));
    }

    fn open_zip(&mut self, zip: ZipArchive<Cursor<D>>, members: Vec<zipapp::Member>) {
        for (i, m) in members.into_iter().enumerate() {
            let lower = m.name.to_ascii_lowercase();
            let kind = if m.script {
                EntryKind::Script
            } else if lower.ends_with("/__init__.pyc") || lower == "__init__.pyc" {
                EntryKind::Package
            } else if lower.ends_with(".pyc") || lower.ends_with(".pyo") {
                EntryKind::Module
            } else {
                EntryKind::Data
            };
            let dir = m.name.ends_with('/');
            self.entries.push(Entry {
                path: (!dir).then(|| safe_path(&m.name)),
                name: m.name,
                kind,
                location: Location::Zip { index: i },
                typecode: None,
                offset: m.offset,
                stored_len: m.size,
                compressed: false,
                encrypted: false,
            });
        }
        self.zip = Some(zip);
        for i in 0..self.entries.len() {
            let e = &self.entries[i];
            if !e.kind.is_code() {
                continue;
            }
            if let Location::Zip { index } = e.location
                && let Some(zip) = &self.zip
                && let Ok(bytes) = zipapp::read_member(zip, index, &self.budget, e.offset)
                && has_pyc_header(&bytes)
            {
                self.target =
                    Target::from_magic([bytes[0], bytes[1], bytes[2], bytes[3]], VersionSource::ModuleHeader);
                break;
            }
        }
    }

    /// py2exe's `PYTHONSCRIPT` resource: a 16-byte header (magic
    /// 0x78563412, optimize, unbuffered, code length; little-endian), the
    /// library path and a NUL, then `marshal.dumps([code, …])`.
    fn open_py2exe(&mut self, off: u64, len: u64) -> Result<(), FrozenError> {
        let owner = self.data.clone();
        let res = crate::exe::slice(owner.as_ref(), off, len).unwrap_or(&[]);
        if res.len() < 16 || res[..4] != 0x7856_3412u32.to_le_bytes() {
            return Err(FrozenError::malformed(
                "py2exe PYTHONSCRIPT resource: bad magic (expected 12 34 56 78)",
                off,
            ));
        }
        let code_len = u64::from(u32::from_le_bytes([res[12], res[13], res[14], res[15]]));
        let zip_end = memchr::memchr(0, &res[16..]).ok_or_else(|| {
            FrozenError::malformed("py2exe PYTHONSCRIPT resource: unterminated library path", off + 16)
        })?;
        let zippath = String::from_utf8_lossy(&res[16..16 + zip_end]).into_owned();
        let code_at = 16 + zip_end as u64 + 1;
        if code_at + code_len > len {
            return Err(FrozenError::OutOfBounds {
                what: "py2exe code list".into(),
                offset: off + 12,
                start: code_at,
                end: code_at + code_len,
                len,
                container: "PYTHONSCRIPT resource",
            });
        }
        // The version: the python DLL the stub names (python3X.dll).
        let version = dll_version(owner.as_ref());
        self.target = version.and_then(|v| Target::from_version(v, VersionSource::LibraryName));
        let Some(target) = self.target else {
            self.warnings.push("py2exe: no pythonXY.dll name found; the scripts' version is unknown".into());
            return Ok(());
        };
        let body = &res[code_at as usize..(code_at + code_len) as usize];
        let m = bytescope_marshal::read(body, bytescope_marshal::Format::for_version(target.version), 0)
            .map_err(|e| {
                FrozenError::malformed(
                    format!("py2exe code list: {}", e.kind),
                    off + code_at + e.offset as u64,
                )
            })?;
        let Some(items) = m.tuple(m.root()) else {
            return Err(FrozenError::malformed("py2exe code list: not a list", off + code_at));
        };
        // Each code object is its own slice of the stream, whose back
        // references are renumbered; one that refers to an object of an
        // earlier slice cannot be cut out and is reported on extraction.
        let mut ends: Vec<usize> = items.iter().skip(1).map(|&i| m.node(i).offset as usize).collect();
        ends.push(m.end_offset());
        for (k, (&item, end)) in items.iter().zip(ends).enumerate() {
            let start = m.node(item).offset as usize;
            let name =
                m.code(item).and_then(|c| m.name_lossy(c.filename)).unwrap_or_else(|| format!("script{k}"));
            self.scripts.push(split_script(&m, body, start, end));
            self.entries.push(Entry {
                path: Some(format!("PYTHONSCRIPT/{k:02}-{}.pyc", safe_path(&name).replace('/', "_"))),
                name,
                kind: EntryKind::Script,
                location: Location::Py2exeScript { index: k },
                typecode: None,
                offset: off + code_at + start as u64,
                stored_len: (end - start) as u64,
                compressed: false,
                encrypted: false,
            });
        }
        if zippath.is_empty()
            && let Some((_, zip, members)) = zipapp::open(self.data.clone())
        {
            self.open_zip(zip, members);
            self.target = Some(target);
        } else if !zippath.is_empty() {
            self.warnings.push(format!("py2exe: the library is in {zippath:?} beside the executable"));
        }
        Ok(())
    }

    /// The entry for an `ARCHIVE:MEMBER` member name: an output path, an
    /// entry name, or a dotted module name with `.pyc`/`.py` left off;
    /// entry scripts first, then PYZ modules, then bootstrap modules.
    #[must_use]
    pub fn find(&self, member: &str) -> Option<&Entry> {
        if let Some(e) = self.entries.iter().find(|e| e.path.as_deref() == Some(member)) {
            return Some(e);
        }
        let bare = member.strip_suffix(".pyc").or_else(|| member.strip_suffix(".py")).unwrap_or(member);
        let rank = |k: EntryKind| match k {
            EntryKind::Script | EntryKind::ScriptSource => 0,
            EntryKind::Module | EntryKind::Package | EntryKind::NamespacePackage => 1,
            EntryKind::Bootstrap => 2,
            _ => 3,
        };
        self.entries.iter().filter(|e| e.name == member || e.name == bare).min_by_key(|e| rank(e.kind))
    }

    /// The code entries that have bytecode to extract, in entry order.
    pub fn code_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.kind.is_code() && e.path.is_some())
    }

    /// The stored bytes of `e` (compressed, encrypted, as in the file).
    #[must_use]
    pub fn stored(&self, e: &Entry) -> &[u8] {
        match e.location {
            Location::Pyz { archive, index } => {
                let m = &self.pyzs[archive].pyz.entries[index];
                crate::exe::slice(self.pyz_bytes(archive), u64::from(m.pos), u64::from(m.len)).unwrap_or(&[])
            }
            _ => crate::exe::slice(self.data.as_ref(), e.offset, e.stored_len).unwrap_or(&[]),
        }
    }

    fn carchive_payload(&self, e: &Entry) -> Result<Vec<u8>, FrozenError> {
        let Location::CArchive { index } = e.location else {
            return Err(FrozenError::NotCode(format!("{:?} is not a CArchive entry", e.name)));
        };
        let Some(a) = &self.carchive else { return Ok(Vec::new()) };
        let rec = &a.entries[index];
        let stored = self.stored(e);
        match rec.compression {
            0 => Ok(stored.to_vec()),
            1 => {
                let what = || format!("entry {:?}", e.name);
                inflate(stored, Some(u64::from(rec.uncompressed_length)), &self.budget, &what, e.offset)
            }
            _ => Err(FrozenError::Encrypted {
                what: format!("entry {:?}", e.name),
                message: "encrypted with PyInstaller 2.0's scheme, which is not supported".into(),
                offset: rec.record_offset + 16,
            }),
        }
    }

    fn header(&self, e: &Entry) -> Result<Vec<u8>, FrozenError> {
        self.target.map(|t| t.header()).ok_or_else(|| {
            FrozenError::NotCode(format!(
                "{:?}: no Python version is known for this archive, so no pyc header",
                e.name
            ))
        })
    }

    /// The bytes to write for `e`: a `.pyc` (header of the target version,
    /// then the marshal data) for code entries, source text for
    /// [`EntryKind::ScriptSource`], the inflated bytes for everything else.
    /// Inflated bytes are charged to the application's [`Budget`].
    ///
    /// # Errors
    /// Corrupt or lying data, a spent budget, an encrypted entry without a
    /// key, or an entry with no bytes (an empty namespace package).
    pub fn extract(&self, e: &Entry) -> Result<Vec<u8>, FrozenError> {
        match e.location {
            Location::CArchive { .. } => {
                let payload = self.carchive_payload(e)?;
                match e.kind {
                    EntryKind::ScriptSource => {
                        let end = payload.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
                        Ok(payload[..end].to_vec())
                    }
                    k if k.is_code() && !has_pyc_header(&payload) => {
                        let mut out = self.header(e)?;
                        out.extend_from_slice(&payload);
                        Ok(out)
                    }
                    // A complete pyc (PyInstaller ≤ 5.2): its own magic, the
                    // other fields zeroed (3.4–5.2 overwrote the second word
                    // with "pyi0", which 3.7+ reads as invalid flags).
                    k if k.is_code() && e.typecode != Some('x') => {
                        let magic = [payload[0], payload[1], payload[2], payload[3]];
                        let t = Target::from_magic(magic, VersionSource::ModuleHeader).ok_or_else(|| {
                            FrozenError::malformed(format!("entry {:?}: unknown pyc magic", e.name), e.offset)
                        })?;
                        let hl = header_len(t.version).min(payload.len());
                        let mut out = t.header();
                        out.extend_from_slice(&payload[hl..]);
                        Ok(out)
                    }
                    _ => Ok(payload),
                }
            }
            Location::Pyz { archive, index } => {
                let p = &self.pyzs[archive];
                let m = &p.pyz.entries[index];
                if m.len == 0 {
                    return Err(FrozenError::NotCode(format!(
                        "PYZ entry {:?} has no data (a namespace package of PyInstaller 6.16+)",
                        e.name
                    )));
                }
                let blob = self.stored(e);
                let decrypted;
                let blob = if p.pyz.encrypted {
                    let Some((key, mode)) = &self.key else {
                        return Err(FrozenError::Encrypted {
                            what: format!("PYZ entry {:?}", e.name),
                            message: "encrypted, and no working key was found in the archive".into(),
                            offset: e.offset,
                        });
                    };
                    decrypted = crypto::decrypt(key, *mode, blob).ok_or_else(|| {
                        FrozenError::malformed(
                            format!("encrypted PYZ entry {:?} is shorter than its IV", e.name),
                            e.offset,
                        )
                    })?;
                    &decrypted[..]
                } else {
                    blob
                };
                let what = || format!("PYZ entry {:?}", e.name);
                let payload = inflate(blob, None, &self.budget, &what, e.offset)?;
                if e.kind.is_code() {
                    let mut out = self.header(e)?;
                    out.extend_from_slice(&payload);
                    Ok(out)
                } else {
                    Ok(payload)
                }
            }
            Location::Zip { index } => {
                let zip = self.zip.as_ref().ok_or_else(|| FrozenError::NotCode("no zip".into()))?;
                zipapp::read_member(zip, index, &self.budget, e.offset)
            }
            Location::Py2exeScript { index } => match &self.scripts[index] {
                Ok(code) => {
                    let mut out = self.header(e)?;
                    out.extend_from_slice(code);
                    Ok(out)
                }
                Err(why) => {
                    Err(FrozenError::malformed(format!("py2exe script {:?}: {why}", e.name), e.offset))
                }
            },
        }
    }
}

/// The version of the `pythonXY.dll` a py2exe stub names.
fn dll_version(data: &[u8]) -> Option<PythonVersion> {
    let finder = memchr::memmem::Finder::new(b".dll");
    let mut best = None;
    for at in finder.find_iter(data) {
        let start = at.saturating_sub(12);
        let window = String::from_utf8_lossy(&data[start..at]).to_ascii_lowercase();
        if let Some(i) = window.rfind("python")
            && let Some(v) = libname_version(&window[i..])
        {
            best = Some(v);
            break;
        }
    }
    best
}

/// The bytes `body[start..end]` of one item of a marshalled list, as a
/// stream of its own. Back references (`r`, Python 2 `R`) to objects inside
/// the item are renumbered from the item's first reference; one to an
/// object of an earlier item (a name or a `<module>` string the list
/// shares) is replaced by a copy of that object, which must be a leaf (a
/// string, a number, an empty tuple), with FLAG_REF cleared (Python 2: an
/// interned `t` becomes a plain `s`) so the numbering is unchanged.
fn split_script(
    m: &bytescope_marshal::Marshal<'_>,
    body: &[u8],
    start: usize,
    end: usize,
) -> Result<Vec<u8>, String> {
    use bytescope_marshal::{FLAG_REF, ObjId, Value};
    let nodes = m.nodes();
    let in_slice = |o: u32| (start..end).contains(&(o as usize));
    let (mut refs_before, mut interned_before) = (0u32, 0u32);
    for n in nodes.iter().take_while(|n| (n.offset as usize) < start) {
        refs_before += u32::from(n.flag_ref());
        interned_before += u32::from(m.format().py2 && n.type_code() == b't');
    }
    let mut out = Vec::with_capacity(end - start);
    let mut copied = start;
    for (i, n) in nodes.iter().enumerate() {
        if !in_slice(n.offset) {
            continue;
        }
        let (index, base) = match n.value {
            Value::Ref(r) => (r, refs_before),
            Value::StringRef(r) => (r, interned_before),
            _ => continue,
        };
        let at = n.offset as usize;
        out.extend_from_slice(&body[copied..at]);
        let target = m.resolve(ObjId(i as u32));
        let t = m.node(target);
        if in_slice(t.offset) {
            out.push(body[at]);
            out.extend_from_slice(&(index - base).to_le_bytes());
        } else {
            let leaf = match &t.value {
                Value::Tuple(items) | Value::List(items) | Value::Set(items) | Value::FrozenSet(items) => {
                    items.is_empty()
                }
                Value::Dict(_) | Value::FrozenDict(_) | Value::Slice(_) | Value::Code(_) => false,
                Value::Ref(_) | Value::StringRef(_) => false,
                _ => true,
            };
            let t_end = nodes.get(target.index() + 1).map_or(m.end_offset(), |n| n.offset as usize);
            if !leaf || t_end <= t.offset as usize || t_end > body.len() {
                return Err(format!(
                    "refers to a container of an earlier script (marshal reference {index}); it cannot be cut out of the list"
                ));
            }
            let copy = &body[t.offset as usize..t_end];
            let code = if m.format().py2 && copy[0] == b't' { b's' } else { copy[0] & !FLAG_REF };
            out.push(code);
            out.extend_from_slice(&copy[1..]);
        }
        copied = at + 5;
    }
    out.extend_from_slice(&body[copied..end]);
    Ok(out)
}
