//! The tree of a file's code objects with their qualified names, and
//! selecting code objects by qualified name.

use std::collections::{HashMap, HashSet};

use bytescope_marshal::{CodeNode, CodeWalk, Marshal, ObjId};

/// `CO_OPTIMIZED`: set on function-like scopes (functions, lambdas,
/// comprehensions, generator expressions), never on modules and class
/// bodies, in every version.
const CO_OPTIMIZED: i32 = 0x1;

/// `CO_NEWLOCALS`: set on every function-like scope; in Python 2 the one
/// flag of functions that use `exec` or `import *` (which lose
/// `CO_OPTIMIZED`).
const CO_NEWLOCALS: i32 = 0x2;

/// One code object of a file, in pre-order ([`code_tree`]).
#[derive(Clone, Debug)]
pub struct CodeEntry<'m> {
    /// The code object.
    pub node: &'m CodeNode,
    /// The index of the code object whose `co_consts` holds it.
    pub parent: Option<usize>,
    /// Nesting depth (the module is 0).
    pub depth: usize,
    /// `co_qualname` (3.11+), or the name derived from nesting as the
    /// compiler forms it: `f.<locals>.g` inside a function, `C.m` inside a
    /// class body, the bare name at module level.
    pub qualname: String,
    /// Whether `qualname` was derived (no `co_qualname`).
    pub derived: bool,
}

/// Every code object of `m` in pre-order (the order of
/// [`code_objects`](crate::code_objects): every distinct code object, and
/// one that marshal references repeat again at each place while the
/// walk's budget lasts), with its qualified name.
///
/// Derived names (before 3.11) follow the compiler's rule (checked against
/// `co_qualname` on every 3.11+ fixture), a function or class declared
/// `global` in its enclosing function getting the bare name.
#[must_use]
pub fn code_tree<'m>(m: &'m Marshal<'_>) -> Vec<CodeEntry<'m>> {
    code_tree_along(m, &mut m.code_walk())
}

/// [`code_tree`] along `walk` (a [`CodeWalk`] of `m`), which then tells
/// whether repeats were left out ([`CodeWalk::skipped`]) or the walk
/// stopped early ([`CodeWalk::overflow`]).
#[must_use]
pub fn code_tree_along<'m, 'a>(m: &'m Marshal<'a>, walk: &mut CodeWalk<'m, 'a>) -> Vec<CodeEntry<'m>> {
    tree(m, walk, true)
}

/// [`code_tree_along`], deriving every name when `co_qualname` is false.
fn tree<'m, 'a>(m: &'m Marshal<'a>, walk: &mut CodeWalk<'m, 'a>, co_qualname: bool) -> Vec<CodeEntry<'m>> {
    let mut out: Vec<CodeEntry<'m>> = Vec::new();
    // Per function holding nested code objects, the names it declares
    // `global` (made once; each function's name tuples are read once, or
    // within the walk's budget for fields shared between code objects).
    let mut globals: HashMap<usize, HashSet<String>> = HashMap::new();
    // The walk's positions are indices in `out`: every visit is kept.
    for visit in walk {
        let (node, parent) = (visit.code, visit.parent);
        let name = m.name_lossy(node.name).unwrap_or_default();
        let (qualname, derived) = match node.qualname.filter(|_| co_qualname).and_then(|q| m.name_lossy(q)) {
            Some(q) => (q, false),
            None => {
                let global = parent.is_some_and(|p| {
                    globals.entry(p).or_insert_with(|| declared_global(m, out[p].node)).contains(&name)
                });
                (if global { name.clone() } else { derived_qualname(m, &out, parent, &name) }, true)
            }
        };
        let depth = parent.and_then(|p| out.get(p)).map_or(0, |p| p.depth + 1);
        out.push(CodeEntry { node, parent, depth, qualname, derived });
    }
    out
}

/// The names a function's code declares `global`: in `co_names` (global
/// and attribute names) but not among its locals, cells or free variables.
/// A function or class defined under such a name gets the bare name as its
/// qualified name (`compiler_set_qualname`: an explicit global). Empty for
/// modules, class bodies and unoptimised functions (Python 2's with `exec`),
/// whose `co_names` hold the names they bind.
fn declared_global(m: &Marshal<'_>, node: &CodeNode) -> HashSet<String> {
    if node.flags & CO_OPTIMIZED == 0 {
        return HashSet::new();
    }
    let names = |id: Option<ObjId>| {
        id.and_then(|id| m.tuple(id))
            .unwrap_or(&[])
            .iter()
            .filter_map(|&n| m.name_str(n))
            .map(|n| n.into_owned())
    };
    let mut out: HashSet<String> = names(Some(node.names)).collect();
    if !out.is_empty() {
        for local in names(Some(node.varnames)).chain(names(node.cellvars)).chain(names(node.freevars)) {
            out.remove(&local);
        }
    }
    out
}

/// Whether `node` is a function-like scope: `CO_OPTIMIZED`, or (Python 2
/// functions using `exec` or `import *`, which lose it) `CO_NEWLOCALS`
/// without the class body's opening `__module__ = __name__`.
fn is_function(m: &Marshal<'_>, node: &CodeNode) -> bool {
    if node.flags & CO_OPTIMIZED != 0 {
        return true;
    }
    if node.flags & CO_NEWLOCALS == 0 {
        return false;
    }
    let names = m.tuple(node.names).unwrap_or(&[]);
    let name = |i: usize| names.get(i).and_then(|&n| m.name_str(n));
    !(name(0).as_deref() == Some("__name__") && name(1).as_deref() == Some("__module__"))
}

/// The qualified name of a code object named `name` whose parent is
/// `tree[parent]`.
fn derived_qualname(
    m: &Marshal<'_>,
    tree: &[CodeEntry<'_>],
    mut parent: Option<usize>,
    name: &str,
) -> String {
    // Type-parameter scopes (3.12+) are left out of their children's names.
    while let Some(p) = parent.and_then(|p| tree.get(p))
        && p.qualname.rsplit('.').next().is_some_and(|n| n.starts_with("<generic parameters of "))
    {
        parent = p.parent;
    }
    match parent.and_then(|p| tree.get(p)) {
        // The module, or its own children.
        None => name.to_owned(),
        Some(p) if p.parent.is_none() => name.to_owned(),
        // Functions and lambdas, but not comprehension scopes, add
        // `<locals>` (`compiler_set_qualname`).
        Some(p) if is_function(m, p.node) && !is_comprehension(&p.qualname) => {
            format!("{}.<locals>.{name}", p.qualname)
        }
        Some(p) => format!("{}.{name}", p.qualname),
    }
}

/// Whether a qualified name is a comprehension's or generator
/// expression's (the compiler's names for those scopes).
fn is_comprehension(qualname: &str) -> bool {
    let last = qualname.rsplit('.').next().unwrap_or(qualname);
    matches!(last, "<listcomp>" | "<setcomp>" | "<dictcomp>" | "<genexpr>")
}

/// The end (exclusive) of the subtree of `tree[i]`: the code object and
/// everything nested in it are `tree[i..end]`.
#[must_use]
pub fn subtree_end(tree: &[CodeEntry<'_>], i: usize) -> usize {
    let depth = tree.get(i).map_or(0, |e| e.depth);
    tree.iter().skip(i + 1).position(|e| e.depth <= depth).map_or(tree.len(), |k| i + 1 + k)
}

/// Qualified names to pick code objects by (`--function`).
///
/// A name matches a code object whose qualified name is the same, or the
/// same once its `.<locals>` parts are left out (`f.g` for
/// `f.<locals>.g`). `Class::method` is read as `Class.method` (pytest's
/// spelling). `<module>` is the module itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    names: Vec<String>,
}

impl Selection {
    /// No names: nothing is picked ([`Selection::is_empty`]).
    #[must_use]
    pub fn new() -> Self {
        Selection::default()
    }

    /// The selection of `names`.
    #[must_use]
    pub fn of<S: AsRef<str>>(names: &[S]) -> Self {
        let mut s = Selection::new();
        for n in names {
            s.add(n.as_ref());
        }
        s
    }

    /// Adds a name.
    pub fn add(&mut self, name: &str) {
        let name = name.replace("::", ".");
        if !self.names.contains(&name) {
            self.names.push(name);
        }
    }

    /// Whether no name was given.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The names.
    #[must_use]
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Whether `name` picks the code object `qualname`.
    fn name_matches(name: &str, qualname: &str) -> bool {
        name == qualname || (qualname.contains(".<locals>") && name == qualname.replace(".<locals>", ""))
    }

    /// Whether the code object `entry` is picked.
    #[must_use]
    pub fn matches(&self, entry: &CodeEntry<'_>) -> bool {
        self.names
            .iter()
            .any(|n| Self::name_matches(n, &entry.qualname) || (entry.parent.is_none() && n == "<module>"))
    }

    /// The indices of the entries of `tree` that are picked, in order;
    /// `Err` with the names that pick nothing.
    ///
    /// # Errors
    /// Names that match no code object of `tree`.
    pub fn pick(&self, tree: &[CodeEntry<'_>]) -> Result<Vec<usize>, Vec<String>> {
        let picked: Vec<usize> = (0..tree.len()).filter(|&i| self.matches(&tree[i])).collect();
        let missing: Vec<String> = self
            .names
            .iter()
            .filter(|n| {
                !tree
                    .iter()
                    .any(|e| Self::name_matches(n, &e.qualname) || (e.parent.is_none() && *n == "<module>"))
            })
            .cloned()
            .collect();
        if missing.is_empty() { Ok(picked) } else { Err(missing) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names derived from nesting are `co_qualname` on every 3.11+ fixture.
    #[test]
    fn derived_names_are_co_qualname() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
        let mut checked = 0;
        for v in ["3.11", "3.12", "3.13", "3.14", "3.15"] {
            let mut files: Vec<_> =
                std::fs::read_dir(root.join(v)).expect("fixtures").flatten().map(|e| e.path()).collect();
            files.sort();
            for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "pyc")) {
                let data = std::fs::read(f).expect("read");
                let pyc = bytescope_marshal::load_pyc(&data, None).expect("loads");
                let m = &pyc.marshal;
                let real = code_tree(m);
                let derived = tree(m, &mut m.code_walk(), false);
                assert_eq!(real.len(), derived.len());
                for (r, d) in real.iter().zip(&derived) {
                    assert!(!r.derived && d.derived);
                    // 3.14+ annotation scopes are named after what they
                    // annotate, not after where they are (and have
                    // `co_qualname`, so are never derived).
                    if r.qualname.ends_with("__annotate__") || d.qualname.contains("__annotate__") {
                        continue;
                    }
                    assert_eq!(r.qualname, d.qualname, "{}", f.display());
                    checked += 1;
                }
            }
        }
        assert!(checked > 900, "{checked}");
    }

    #[test]
    fn selection_matches_qualnames() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hello.cpython-312.pyc");
        let data = std::fs::read(root).expect("read");
        let pyc = bytescope_marshal::load_pyc(&data, None).expect("loads");
        let tree = code_tree(&pyc.marshal);
        let names: Vec<&str> = tree.iter().map(|e| e.qualname.as_str()).collect();
        assert_eq!(names, ["<module>", "greet", "Counter", "Counter.__init__", "Counter.add"]);
        let pick = |names: &[&str]| Selection::of(names).pick(&tree);
        assert_eq!(pick(&["Counter.add"]), Ok(vec![4]));
        assert_eq!(pick(&["Counter::add", "greet"]), Ok(vec![1, 4]));
        assert_eq!(pick(&["<module>"]), Ok(vec![0]));
        assert_eq!(pick(&["add", "greet"]), Err(vec!["add".to_owned()]));
        assert_eq!(subtree_end(&tree, 2), 5);
        assert_eq!(subtree_end(&tree, 1), 2);
        assert_eq!(subtree_end(&tree, 0), 5);
    }
}
