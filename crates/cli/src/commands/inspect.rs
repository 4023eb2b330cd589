//! `bytescope inspect`: the code-object report.

use std::io::Write as _;
use std::process::ExitCode;

use bytescope_inspect::{Inspector, write_text};
use bytescope_marshal::Storage;

use crate::output::{Format, InputArgs, for_each_file};
use crate::records;

/// Report every code object: kind, qualified name, arguments, names used
///
/// What each code object is, its qualified name, arguments, locals, cells and
/// free variables, the names it uses split by how it uses them, nested code
/// objects and size. One block per code object, module first, then each
/// nested code object in co_consts order (recursively), separated by blank
/// lines:
///
///   make_counter.<locals>.increment (function, closures.py:8)
///     arguments   (step)
///     free        count
///     size        stack 2, 1 constant, 8 instructions in 18 bytes
///     flags       OPTIMIZED, NEWLOCALS, NESTED
///
/// Heading: qualified name (co_qualname from 3.11; before, the name CPython
/// gives the function: the MAKE_FUNCTION constant or a class body's
/// __qualname__ from 3.3, else derived as CPython would: `f.<locals>.g` inside
/// a function or lambda, `C.m` inside a class body or comprehension, bare at
/// module level or when declared global), kind and file:line. Kinds: module,
/// class body, function, method (a def directly in a class body, also
/// "generator method", "coroutine method", ...), lambda, generator,
/// coroutine, async generator, list/set/dict comprehension, generator
/// expression, and from 3.12 type parameters, type alias value, type variable
/// bound, type parameter default, annotate function (3.14).
///
/// Rows (empty ones are left out): arguments (the parameter list without
/// defaults: positional-only before `/`, then `*args` or `*`, keyword-only,
/// `**kwargs`); locals (non-parameter co_varnames); hidden (locals of inlined
/// comprehensions, 3.12+); cells; free; globals (read by LOAD_GLOBAL and
/// LOAD_NAME); attributes (LOAD_ATTR, LOAD_METHOD, STORE_ATTR, DELETE_ATTR,
/// LOAD_SUPER_ATTR); imports (`a.b`, `m.x` for `from m import x`, `m.*`,
/// relative ones with their dots); references (dotted names loaded, such as
/// `os.path.join`, with import aliases resolved); stores (STORE_NAME,
/// STORE_GLOBAL and deletes); nested (name and kind); size (stack size,
/// constants, with nested ones, instructions and bytes); flags.
///
/// --json prints JSON Lines: one record per code object (pre-order) with
/// path, member, version and the report's keys (schema:
/// docs/schemas/inspect.schema.json; each key is documented in the
/// bytescope-inspect crate): index, parent, depth, name, qualname,
/// qualname_source, kind, method, filename, firstlineno, offset, flags,
/// flag_names, argcount, posonlyargcount, kwonlyargcount,
/// arguments{positional_only, positional, varargs, keyword_only,
/// varkeywords}, locals, hidden_locals, cellvars, freevars, globals,
/// attributes, imports, stores, references, nested, constants,
/// constants_total, stacksize, code_size, instructions, opcodes.
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,

    /// Print JSON Lines (one record per code object) instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    for_each_file(
        &args.input,
        if args.json { Format::Json } else { Format::Text },
        |source, data, out, ctx| {
            let pyc = args.input.load(source, data, Storage::default(), ctx)?;
            let inspector = Inspector::for_marshal(&pyc.marshal).map_err(|e| e.to_string())?;
            let report = inspector.inspect(&pyc.marshal).map_err(|e| e.to_string())?;
            if args.json {
                for c in &report.code_objects {
                    let body = serde_json::to_string(c).map_err(|e| e.to_string())?;
                    let mut object = String::with_capacity(body.len() + 32);
                    object.push_str("{\"version\":");
                    object.push_str(&serde_json::to_string(&report.version).map_err(|e| e.to_string())?);
                    object.push(',');
                    object.push_str(body.strip_prefix('{').unwrap_or(&body));
                    records::per_file(out, source, &object);
                }
                return Ok(());
            }
            let mut s = String::new();
            write_text(&report, &mut s);
            out.write_all(s.as_bytes()).map_err(|e| e.to_string())
        },
    )
}
