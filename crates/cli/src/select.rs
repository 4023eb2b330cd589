//! `--function QUALNAME` and `FILE::QUALNAME`: which code objects of each
//! file a command shows (the selection itself is the library's,
//! `bytescope_code::Selection`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bytescope_batch::Source;
use bytescope_code::Selection;

use crate::output::InputArgs;

/// Options of the commands that can show some code objects only.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SelectArgs {
    /// Show only the code object with this qualified name (repeatable), as
    /// co_qualname gives it: `f`, `C.method`, `f.<locals>.inner` (or
    /// `f.inner`), `<module>`. Before 3.11 the name is derived from nesting.
    /// `FILE::QUALNAME` (pytest's spelling; `C::method` is `C.method`)
    /// picks from that file only.
    #[arg(long = "function", value_name = "QUALNAME")]
    pub functions: Vec<String>,
}

/// What each input shows: the names of `--function` for every input, and
/// those of `FILE::QUALNAME` for that file.
#[derive(Debug, Default)]
pub struct Selections {
    all: Selection,
    per_file: HashMap<PathBuf, Selection>,
}

impl SelectArgs {
    /// Splits `FILE::QUALNAME` inputs (that are not existing paths) into the
    /// file and the name: the inputs to read, and the selections.
    pub fn split(&self, input: &InputArgs) -> (InputArgs, Selections) {
        let mut input = input.clone();
        let mut sel = Selections { all: Selection::of(&self.functions), per_file: HashMap::new() };
        for file in &mut input.files {
            // Only names with `::` are asked about (one `stat` per such
            // input, none for the usual thousands of plain paths).
            let Some((path, name)) = file.to_str().and_then(|s| s.split_once("::")) else { continue };
            if name.is_empty() || file.exists() {
                continue;
            }
            let path = PathBuf::from(path);
            sel.per_file.entry(path.clone()).or_default().add(name);
            *file = path;
        }
        input.files.dedup();
        (input, sel)
    }
}

impl Selections {
    /// The selection for `source`; `None` shows the whole file.
    pub fn for_source(&self, source: &Source) -> Option<Selection> {
        self.for_path(&source.path)
    }

    /// The selection for `path` (an input, or a file in an input
    /// directory); `None` shows the whole file.
    pub fn for_path(&self, path: &Path) -> Option<Selection> {
        let mut s = self.all.clone();
        for (input, own) in &self.per_file {
            if path.starts_with(input) {
                for n in own.names() {
                    s.add(n);
                }
            }
        }
        (!s.is_empty()).then_some(s)
    }

    /// The `--function` names alone (inputs that are not files).
    pub fn global(&self) -> Option<Selection> {
        (!self.all.is_empty()).then(|| self.all.clone())
    }
}
