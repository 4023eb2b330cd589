//! A loaded file: its bytes and the marshal arena that borrows from them,
//! shared by every `Pyc` and `Code` object made from it.

use bytescope_code::{Code, CodeError};
use bytescope_detect::{Limits, Origin, resolve};
use bytescope_marshal::{
    CodeNode, CodeWalk, Format, LoadError, Marshal, Pyc, Storage, load_marshal, read_in,
};
use bytescope_pyc::PythonVersion;

self_cell::self_cell!(
    /// The input bytes and the [`Pyc`] read from them.
    struct Cell {
        owner: Box<[u8]>,
        #[covariant]
        dependent: Pyc,
    }
);

/// One loaded .pyc or marshal stream. Immutable once loaded, so it is
/// shared between threads and Python objects without locks.
pub(crate) struct File {
    cell: Cell,
    /// How errors name the file: the path as given, or `<bytes>`.
    pub label: String,
    /// What a user should be told about how the version was chosen
    /// (headerless data: detected, or read as a given version): the CLI's
    /// stderr note.
    pub note: Option<String>,
    /// Whether the version was detected from headerless data.
    pub detected: bool,
    /// What the bytes were read as.
    pub input: Input,
    /// For live host code (3.11+), each code object's `_co_code_adaptive` as the
    /// running interpreter holds it, by code index: what its specialisations made of
    /// it since it ran, which `marshal.dumps` does not carry.
    pub live_adaptive: Option<Vec<Vec<u8>>>,
    /// The path as the OS gave it, where `label` could not hold it (bytes that
    /// are not UTF-8 show as U+FFFD there): `Pyc.path` gives it back as
    /// `os.fsdecode` would.
    pub os_label: Option<std::ffi::OsString>,
}

/// Why a file could not be loaded: the message the CLI prints after
/// `bytescope: PATH: `.
pub(crate) struct LoadFailure(pub String);

impl From<LoadError> for LoadFailure {
    fn from(e: LoadError) -> Self {
        LoadFailure(e.to_string())
    }
}

impl From<CodeError> for LoadFailure {
    fn from(e: CodeError) -> Self {
        LoadFailure(e.to_string())
    }
}

/// What the bytes given to [`File::load`] are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Input {
    /// A .pyc, or headerless data whose version is checked or detected.
    Pyc,
    /// Raw marshal data of the given version.
    Headerless,
    /// Raw marshal data the running interpreter's `marshal.dumps` wrote of its
    /// own objects (the given version): its sets are in their current order,
    /// which reprs then follow (see `Format::sets_in_stream_order`).
    Host,
}

impl File {
    /// Loads `data` (see [`Input`]) and checks every code object in it as
    /// CPython's `marshal.loads` would.
    pub(crate) fn load(
        data: Box<[u8]>,
        version: Option<PythonVersion>,
        input: Input,
        label: String,
    ) -> Result<File, LoadFailure> {
        let (mut note, mut detected) = (None, false);
        let cell = Cell::try_new(data, |d| match (input, version) {
            (Input::Headerless, Some(v)) => load_marshal(d, v).map_err(LoadFailure::from),
            (Input::Host, Some(v)) => {
                let format = Format { sets_in_stream_order: true, ..Format::for_version(v) };
                let marshal =
                    read_in(d, format, 0, Storage::default()).map_err(|e| LoadFailure(e.to_string()))?;
                let end = marshal.end_offset();
                Ok(Pyc { header: None, marshal, marshal_offset: 0, trailing: &d[end..] })
            }
            // As the CLI loads: the header's version, a given version checked
            // against the data, or the version detected from it.
            _ => {
                let r = resolve(d, version, false, &Limits::default(), Storage::default())
                    .map_err(|e| LoadFailure(e.to_string()))?;
                note = r.origin.note();
                detected = matches!(r.origin, Origin::Detected(_));
                Ok(r.pyc)
            }
        })?;
        let file = File { cell, label, note, detected, input, live_adaptive: None, os_label: None };
        {
            let m = file.marshal();
            // Checking a code object reads the fields it shares with others
            // again: within the walk's shared-field budget, so that crafted
            // sharing stays linear (20,000 code objects holding one
            // 50,000-name tuple took 50 s). The CLI stops there too.
            let limit = CodeWalk::shared_field_limit(m);
            let sharing = m.shared_code_fields() > limit;
            let mut shared = 0usize;
            for raw in m.codes() {
                if sharing {
                    shared = shared.saturating_add(CodeWalk::shared_units(m, raw));
                    if shared > limit {
                        let offset = m.node(raw.node).offset;
                        return Err(LoadFailure(format!(
                            "code objects share fields (names, bytecode, tables) through marshal references beyond the budget: stopped at the code object at offset {offset:#x} (crafted data)"
                        )));
                    }
                }
                Code::new(m, raw)?;
            }
        }
        Ok(file)
    }

    /// The path as Python shows it (`Pyc.path`, `Code.path`): `label`, or the OS's
    /// bytes decoded as `os.fsdecode` decodes them where `label` could not hold them.
    pub(crate) fn py_label<'py>(
        &self,
        py: pyo3::Python<'py>,
    ) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
        use pyo3::IntoPyObjectExt as _;
        match &self.os_label {
            Some(os) => os.as_os_str().into_bound_py_any(py),
            None => self.label.as_str().into_bound_py_any(py),
        }
    }

    /// The loaded pyc.
    pub(crate) fn pyc(&self) -> &Pyc<'_> {
        self.cell.borrow_dependent()
    }

    /// The marshal arena.
    pub(crate) fn marshal(&self) -> &Marshal<'_> {
        &self.pyc().marshal
    }

    /// The input bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.cell.borrow_owner()
    }

    /// The version the data was read as.
    pub(crate) fn version(&self) -> PythonVersion {
        self.pyc().version()
    }

    /// Code object `index` (in stream order).
    pub(crate) fn raw(&self, index: u32) -> &CodeNode {
        &self.marshal().codes()[index as usize]
    }

    /// Runs `f` on the checked view of code object `index`.
    pub(crate) fn with_code<R>(&self, index: u32, f: impl FnOnce(&Code<'_, '_>) -> R) -> Result<R, String> {
        let m = self.marshal();
        let code = Code::new(m, &m.codes()[index as usize]).map_err(|e| e.to_string())?;
        Ok(f(&code))
    }

    /// Runs `f` on the checked view of code object `index` with the bytecode
    /// the interpreter's `dis` reads: `_co_code_adaptive` if `adaptive`
    /// (`dis(x, adaptive=True)`), else `co_code` (see [`File::co_code`]).
    pub(crate) fn with_code_as<R>(
        &self,
        index: u32,
        adaptive: bool,
        f: impl FnOnce(&Code<'_, '_>) -> R,
    ) -> Result<R, String> {
        let m = self.marshal();
        let mut code = Code::new(m, &m.codes()[index as usize]).map_err(|e| e.to_string())?;
        let substitute = self.bytecode_as(index, code.code, adaptive);
        if let Some(s) = &substitute {
            code.code = s;
        }
        Ok(f(&code))
    }

    /// The bytecode `dis` reads from code object `index` storing `stored`, where
    /// it differs: `_co_code_adaptive` if `adaptive` (the live one for live host
    /// code, else `stored` quickened as a new code object), else `co_code` as
    /// CPython's getter gives it, deoptimised (only crafted data changes).
    pub(crate) fn bytecode_as(&self, index: u32, stored: &[u8], adaptive: bool) -> Option<Vec<u8>> {
        if adaptive && let Some(live) = self.live_adaptive.as_ref().and_then(|l| l.get(index as usize)) {
            return Some(live.clone());
        }
        let table = bytescope_opcodes::table(self.version())?;
        if adaptive { Some(table.quickened(stored)) } else { table.deoptimized(stored) }
    }
}
