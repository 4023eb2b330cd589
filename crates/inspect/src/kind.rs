//! What a code object is, and its qualified name.

use serde::Serialize;

/// `co_flags` bits the kind is derived from (`Include/cpython/code.h`).
pub mod flags {
    /// `CO_OPTIMIZED`: fast locals (functions, not module or class bodies).
    pub const OPTIMIZED: u32 = 0x1;
    /// `CO_VARARGS`: a `*args` parameter.
    pub const VARARGS: u32 = 0x4;
    /// `CO_VARKEYWORDS`: a `**kwargs` parameter.
    pub const VARKEYWORDS: u32 = 0x8;
    /// `CO_GENERATOR`.
    pub const GENERATOR: u32 = 0x20;
    /// `CO_COROUTINE` (3.5+).
    pub const COROUTINE: u32 = 0x80;
    /// `CO_ITERABLE_COROUTINE` (3.5+, set by `types.coroutine`).
    pub const ITERABLE_COROUTINE: u32 = 0x100;
    /// `CO_ASYNC_GENERATOR` (3.6+).
    pub const ASYNC_GENERATOR: u32 = 0x200;
}

/// What a code object is.
///
/// Serialized in `snake_case` (`"async_generator"`, `"listcomp"`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The module (the root code object of a .pyc).
    Module,
    /// A class body: the code of the function passed to `__build_class__`
    /// (`LOAD_BUILD_CLASS`, 3.x) or called before `BUILD_CLASS` (2.x).
    Class,
    /// A `def` function (neither generator nor coroutine).
    Function,
    /// A `lambda`.
    Lambda,
    /// A `def` function containing `yield` (`CO_GENERATOR`).
    Generator,
    /// An `async def` function (`CO_COROUTINE` or `CO_ITERABLE_COROUTINE`).
    Coroutine,
    /// An `async def` function containing `yield` (`CO_ASYNC_GENERATOR`).
    AsyncGenerator,
    /// `<listcomp>` (Python 3 up to 3.11; inlined from 3.12).
    Listcomp,
    /// `<setcomp>` (2.7 up to 3.11).
    Setcomp,
    /// `<dictcomp>` (2.7 up to 3.11).
    Dictcomp,
    /// `<genexpr>`: a generator expression.
    Genexpr,
    /// `__annotate__` (3.14+, PEP 649): computes annotations lazily.
    Annotate,
    /// `<generic parameters of X>` (3.12+, PEP 695): the scope that creates
    /// the type parameters of a generic function, class or type alias.
    TypeParams,
    /// The lazily evaluated value of a `type X = ...` alias (3.12+).
    TypeAlias,
    /// The lazily evaluated bound or constraints of a type variable (3.12+).
    TypevarBound,
    /// The lazily evaluated default of a type parameter (3.13+).
    TypeparamDefault,
}

impl Kind {
    /// The label the text report uses, e.g. `"class body"`.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Kind::Module => "module",
            Kind::Class => "class body",
            Kind::Function => "function",
            Kind::Lambda => "lambda",
            Kind::Generator => "generator",
            Kind::Coroutine => "coroutine",
            Kind::AsyncGenerator => "async generator",
            Kind::Listcomp => "list comprehension",
            Kind::Setcomp => "set comprehension",
            Kind::Dictcomp => "dict comprehension",
            Kind::Genexpr => "generator expression",
            Kind::Annotate => "annotate function",
            Kind::TypeParams => "type parameters",
            Kind::TypeAlias => "type alias value",
            Kind::TypevarBound => "type variable bound",
            Kind::TypeparamDefault => "type parameter default",
        }
    }

    /// The name `--find`-style filters and JSON use, e.g. `"async_generator"`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Kind::Module => "module",
            Kind::Class => "class",
            Kind::Function => "function",
            Kind::Lambda => "lambda",
            Kind::Generator => "generator",
            Kind::Coroutine => "coroutine",
            Kind::AsyncGenerator => "async_generator",
            Kind::Listcomp => "listcomp",
            Kind::Setcomp => "setcomp",
            Kind::Dictcomp => "dictcomp",
            Kind::Genexpr => "genexpr",
            Kind::Annotate => "annotate",
            Kind::TypeParams => "type_params",
            Kind::TypeAlias => "type_alias",
            Kind::TypevarBound => "typevar_bound",
            Kind::TypeparamDefault => "typeparam_default",
        }
    }

    /// A `def` (of any flavour): what can be a method.
    #[must_use]
    pub fn is_def(self) -> bool {
        matches!(self, Kind::Function | Kind::Generator | Kind::Coroutine | Kind::AsyncGenerator)
    }

    /// A comprehension or generator expression.
    #[must_use]
    pub fn is_comprehension(self) -> bool {
        matches!(self, Kind::Listcomp | Kind::Setcomp | Kind::Dictcomp | Kind::Genexpr)
    }

    /// Whether names defined inside get `<locals>` in their qualified name
    /// (CPython's FUNCTION, ASYNC_FUNCTION and LAMBDA scopes; a type alias
    /// value is compiled as a function scope).
    fn has_locals(self) -> bool {
        self.is_def() || matches!(self, Kind::Lambda | Kind::TypeAlias)
    }

    /// CPython's TYPEPARAMS scopes (3.12+): `<generic parameters of X>` and
    /// the lazily evaluated bounds and defaults. What is defined directly in
    /// one is named as if defined in the scope around it.
    #[must_use]
    pub fn is_typeparams_scope(self) -> bool {
        matches!(self, Kind::TypeParams | Kind::TypevarBound | Kind::TypeparamDefault)
    }
}

/// How a parent code object uses one of its nested code objects, as far as
/// the kind and qualified name are concerned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    /// It is a class body.
    pub class_body: bool,
    /// The qualified name passed to `MAKE_FUNCTION` (3.3–3.10).
    pub make_function_qualname: Option<String>,
    /// The kind given by the intrinsic that consumes the function (3.12+).
    pub typing: Option<Kind>,
}

/// The kind of a code object from its name, flags and its parent's use of it.
///
/// `stores_module_first`: the code object's first name store is `__module__`,
/// as every class body's is (`__module__ = __name__`).
pub(crate) fn kind_of(
    name: &str,
    flags: u32,
    is_root: bool,
    usage: &Usage,
    py314: bool,
    stores_module_first: bool,
) -> Kind {
    if is_root && flags & self::flags::OPTIMIZED == 0 {
        return Kind::Module;
    }
    if usage.class_body {
        return Kind::Class;
    }
    if let Some(k) = usage.typing {
        return k;
    }
    match name {
        "<lambda>" => return Kind::Lambda,
        "<listcomp>" => return Kind::Listcomp,
        "<setcomp>" => return Kind::Setcomp,
        "<dictcomp>" => return Kind::Dictcomp,
        "<genexpr>" => return Kind::Genexpr,
        "<module>" if flags & self::flags::OPTIMIZED == 0 => return Kind::Module,
        "__annotate__" if py314 => return Kind::Annotate,
        _ => {}
    }
    if name.starts_with("<generic parameters of ") {
        return Kind::TypeParams;
    }
    if flags & self::flags::ASYNC_GENERATOR != 0 {
        Kind::AsyncGenerator
    } else if flags & (self::flags::COROUTINE | self::flags::ITERABLE_COROUTINE) != 0 {
        Kind::Coroutine
    } else if flags & self::flags::GENERATOR != 0 {
        Kind::Generator
    } else if flags & self::flags::OPTIMIZED == 0 && stores_module_first {
        // A class body whose creation was not recognised. (Python 2
        // functions containing `exec` lack fast locals too, so the flag
        // alone does not tell.)
        Kind::Class
    } else {
        Kind::Function
    }
}

/// Where a reported qualified name comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QualnameSource {
    /// `co_qualname` (3.11+).
    CoQualname,
    /// The constant the parent passes to `MAKE_FUNCTION` (3.3–3.10 functions).
    MakeFunction,
    /// The `__qualname__` a class body stores (3.3–3.10 classes).
    ClassBody,
    /// Derived by CPython's rule (2.7, 3.0–3.2, and code objects whose
    /// creation was not recognised); see [`derive_qualname`].
    Derived,
}

/// The parent facts [`derive_qualname`] needs.
#[derive(Clone, Copy, Debug)]
pub struct ParentScope<'a> {
    /// The parent's qualified name.
    pub qualname: &'a str,
    /// The parent's kind.
    pub kind: Kind,
    /// Whether the parent declares the child's name `global` (seen as a
    /// `STORE_GLOBAL` of that name in the parent's bytecode).
    pub declares_global: bool,
}

/// CPython's `compiler_set_qualname` (3.3+), applied to code objects that
/// carry no qualified name:
///
/// - the module is `<module>`, and names defined at module level are bare;
/// - a function or class the parent declares `global` is bare too;
/// - inside a function or lambda: `parent.<locals>.name`;
/// - inside a class body or a comprehension: `parent.name` (CPython adds
///   `<locals>` only for function and lambda scopes, so a lambda in a list
///   comprehension of `f` is `f.<locals>.<listcomp>.<lambda>`);
/// - inside a type alias value (3.12+): `parent.<locals>.name`;
/// - a type-parameter scope (3.12+, see [`Kind::is_typeparams_scope`]) is
///   skipped: what it contains is named as if defined where the scope is
///   (callers pass the scope's own parent as `parent`; one level only, as
///   CPython does).
#[must_use]
pub fn derive_qualname(name: &str, kind: Kind, parent: Option<ParentScope<'_>>) -> String {
    let Some(p) = parent else { return name.to_owned() };
    if p.kind == Kind::Module || (p.declares_global && (kind.is_def() || kind == Kind::Class)) {
        return name.to_owned();
    }
    if p.kind.has_locals() {
        format!("{}.<locals>.{name}", p.qualname)
    } else {
        format!("{}.{name}", p.qualname)
    }
}
