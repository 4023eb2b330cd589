//! `bytescope cfg`: the control-flow graph of every code object.

use std::fmt::Write as _;
use std::process::ExitCode;

use bytescope_analysis::render::{self, CfgView, InsnText};
use bytescope_analysis::{Cfg, CfgRecord, StackAnalyzer};
use bytescope_code::Code;
use bytescope_marshal::Marshal;

use crate::output::{Format, InputArgs, for_each_file};
use crate::records;
use crate::select::SelectArgs;

/// The control-flow graph: basic blocks, edges, dominators and loops
///
/// For every code object (module first, then nested ones in pre-order): its basic blocks
/// (a block starts at the entry, at a jump target, at an exception handler, or after an
/// instruction that does not go on to the next: a jump, branch, return or raise), the
/// edges between them — fallthrough, jump, branch_taken, branch_not_taken, and exception
/// edges to every handler an instruction of the block runs under (3.11+: from the
/// exception table, with its depth and lasti; 2.7-3.10: from the SETUP_* block stack,
/// with the depth at the SETUP) — loop back edges (the target dominates the source), and
/// the natural loops with the instructions one iteration runs.
///
///   B1  24..28  loop header L0
///       24  FOR_ITER                13 (to 54)
///       -> B5 branch_taken; B2 branch_not_taken
///
/// --format dot prints one Graphviz digraph per file (a cluster per code object),
/// mermaid a Mermaid flowchart, svg a picture laid out by bytescope itself (no Graphviz
/// needed; very large graphs are refused: use dot), json one JSON Lines record per code
/// object: path, member, index, qualname, firstlineno, blocks (id, start, end, offsets,
/// reachable, handler, idom), edges (from, to, kind, back, and depth/lasti on exception
/// edges), loops (header, latches, blocks, parent, depth, per_iteration) — schema in
/// docs/schemas/cfg.schema.json.
///
/// FILE::QUALNAME (or --function QUALNAME) shows that code object and those nested in it:
///
///   bytescope cfg --format svg mod.pyc::handler > handler.svg
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub select: SelectArgs,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: CfgFormat,

    /// Same as --format json.
    #[arg(long)]
    json: bool,
}

/// `--format`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum CfgFormat {
    /// Blocks with their instructions and edges, then the loops.
    Text,
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// JSON Lines, one record per code object.
    Json,
    /// An SVG picture.
    Svg,
}

/// Most blocks an SVG picture is drawn with (the layout's work grows faster than the
/// graph: beyond this, `dot` does it better).
const SVG_MAX_BLOCKS: usize = 600;

/// Most instruction lines shown in one block of a picture.
const SVG_MAX_LINES: usize = 24;

/// The code objects `selection` picks and those nested in them (all of `codes` without a
/// selection); `codes` as [`code_objects_named`] gives them.
///
/// # Errors
/// Names that pick no code object.
pub fn select<'m, 'a>(
    m: &'m Marshal<'a>,
    codes: Vec<Analyzed<'m, 'a>>,
    selection: Option<&bytescope_code::Selection>,
) -> Result<Vec<Analyzed<'m, 'a>>, String> {
    let Some(sel) = selection else { return Ok(codes) };
    let tree = bytescope_code::code_tree(m);
    if tree.len() != codes.len() {
        return Err("the code objects cannot be named (shared or too many)".to_owned());
    }
    let picked = sel
        .pick(&tree)
        .map_err(|missing| format!("no code object named {}", crate::text::message(&missing.join(", "))))?;
    // Pre-order: a parent comes before what it holds.
    let mut keep = vec![false; tree.len()];
    for (i, e) in tree.iter().enumerate() {
        keep[i] = picked.binary_search(&i).is_ok() || e.parent.is_some_and(|p| keep.get(p) == Some(&true));
    }
    Ok(codes.into_iter().zip(keep).filter_map(|(a, k)| k.then_some(a)).collect())
}

/// One code object with what the outputs show.
pub struct Analyzed<'m, 'a> {
    pub code: Code<'m, 'a>,
    pub index: usize,
    pub qualname: String,
}

/// The code objects of `m` in pre-order with their qualified names (`co_qualname` from
/// 3.11; before, derived from the nesting by `bytescope_code::code_tree`).
pub fn code_objects_named<'m, 'a>(m: &'m Marshal<'a>) -> Result<Vec<Analyzed<'m, 'a>>, String> {
    // `code_tree` walks as `code_objects` does and names each code object
    // by the compiler's rule (no inspection pass).
    bytescope_code::code_tree(m)
        .into_iter()
        .enumerate()
        .map(|(index, e)| {
            let code = Code::new(m, e.node).map_err(|e| e.to_string())?;
            Ok(Analyzed { code, index, qualname: e.qualname })
        })
        .collect()
}

fn record(a: &Analyzed<'_, '_>, cfg: &Cfg) -> Result<String, String> {
    let rec = CfgRecord::new(a.index, &a.qualname, a.code.firstlineno(), cfg);
    serde_json::to_string(&rec).map_err(|e| e.to_string())
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let format = if args.json { CfgFormat::Json } else { args.format };
    let out_format = if format == CfgFormat::Json { Format::Json } else { Format::Text };
    let (input, selections) = args.select.split(&args.input);
    for_each_file(&input, out_format, |source, data, out, ctx| {
        let pyc = args.input.load(source, data, bytescope_marshal::Storage::default(), ctx)?;
        let analyzer = StackAnalyzer::for_marshal(&pyc.marshal).map_err(|e| e.to_string())?;
        let codes = code_objects_named(&pyc.marshal)?;
        let codes = select(&pyc.marshal, codes, selections.for_source(source).as_ref())?;
        let graphs: Vec<(Cfg, Vec<InsnText>)> =
            codes.iter().map(|a| (analyzer.cfg(&a.code), analyzer.listing(&a.code))).collect();
        let views: Vec<CfgView<'_>> = codes
            .iter()
            .zip(&graphs)
            .map(|(a, (cfg, insns))| CfgView {
                qualname: &a.qualname,
                firstlineno: a.code.firstlineno(),
                cfg,
                insns,
            })
            .collect();
        let mut text = String::new();
        match format {
            CfgFormat::Text => views.iter().for_each(|v| render::text(v, &mut text)),
            CfgFormat::Dot => render::dot(&crate::text::source(source), &views, &mut text),
            CfgFormat::Mermaid => render::mermaid(&views, &mut text),
            CfgFormat::Svg => text = svg(&views)?,
            CfgFormat::Json => {
                for (a, (cfg, _)) in codes.iter().zip(&graphs) {
                    records::per_file(out, source, &record(a, cfg)?);
                }
            }
        }
        out.extend_from_slice(text.as_bytes());
        Ok(())
    })
}

/// The graphs of one file as an SVG picture, laid out by `layout-rs`.
fn svg(views: &[CfgView<'_>]) -> Result<String, String> {
    use layout::backends::svg::SVGWriter;
    use layout::core::base::Orientation;
    use layout::core::color::Color;
    use layout::core::style::{LineStyleKind, StyleAttr};
    use layout::std_shapes::render::get_shape_size;
    use layout::std_shapes::shapes::{Arrow, Element, LineEndKind, ShapeKind};
    use layout::topo::layout::VisualGraph;

    let blocks: usize = views.iter().map(|v| v.cfg.blocks.len()).sum();
    if blocks > SVG_MAX_BLOCKS {
        return Err(format!(
            "{blocks} blocks are too many to draw (at most {SVG_MAX_BLOCKS}): use --format dot and Graphviz, or pick code objects"
        ));
    }
    let font = 12;
    let dir = Orientation::TopToBottom;
    let mut g = VisualGraph::new(dir);
    let node = |g: &mut VisualGraph, label: &str, fill: &str, line: &str| {
        let shape = ShapeKind::new_box(label);
        let look = StyleAttr::new(Color::fast(line), 1, Some(Color::fast(fill)), 2, font);
        let size = get_shape_size(dir, &shape, font, false);
        g.add_node(Element::create(shape, look, dir, size))
    };
    for v in views {
        let title = node(
            &mut g,
            &format!("{} (line {})", render::escape(v.qualname), v.firstlineno),
            "lightyellow",
            "black",
        );
        let mut handles = Vec::with_capacity(v.cfg.blocks.len());
        for b in &v.cfg.blocks {
            let mut label = format!("B{}  {}..{}", b.id, b.start, b.end);
            for i in b.first..b.first + b.len.min(SVG_MAX_LINES as u32) {
                let t = v.insns.get(i as usize);
                let _ = write!(
                    label,
                    "\n{} {}",
                    t.map_or(0, |t| t.offset),
                    t.map(|t| {
                        let mut s = t.opname.to_owned();
                        if !t.argrepr.is_empty() {
                            let _ = write!(
                                s,
                                " {}",
                                render::escape(&t.argrepr).chars().take(40).collect::<String>()
                            );
                        }
                        s
                    })
                    .unwrap_or_default()
                );
            }
            if b.len as usize > SVG_MAX_LINES {
                let _ = write!(label, "\n… {} more", b.len as usize - SVG_MAX_LINES);
            }
            let fill = if !b.reachable {
                "lightgray"
            } else if b.handler {
                "mistyrose"
            } else {
                "white"
            };
            handles.push(node(&mut g, &label, fill, "black"));
        }
        if let Some(&entry) = handles.first() {
            g.add_edge(Arrow::invisible(), title, entry);
        }
        for e in &v.cfg.edges {
            let (Some(&from), Some(&to)) = (handles.get(e.from as usize), handles.get(e.to as usize)) else {
                continue;
            };
            let (style, color, text) = match e.kind {
                bytescope_analysis::EdgeKind::Exception => (LineStyleKind::Dashed, "gray", "exception"),
                bytescope_analysis::EdgeKind::BranchTaken => (LineStyleKind::Normal, "darkgreen", "taken"),
                bytescope_analysis::EdgeKind::BranchNotTaken => (LineStyleKind::Normal, "red", "not taken"),
                bytescope_analysis::EdgeKind::Jump => (LineStyleKind::Normal, "blue", "jump"),
                _ => (LineStyleKind::Normal, "black", ""),
            };
            let look = StyleAttr::new(Color::fast(color), if e.back { 3 } else { 1 }, None, 0, font - 2);
            g.add_edge(
                Arrow::new(LineEndKind::None, LineEndKind::Arrow, style, text, &look, &None, &None),
                from,
                to,
            );
        }
    }
    let mut w = SVGWriter::new();
    g.do_it(false, false, false, &mut w);
    Ok(w.finalize())
}
