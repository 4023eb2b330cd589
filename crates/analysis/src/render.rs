//! Text, Graphviz DOT and Mermaid renderings of control-flow graphs.
//!
//! Each takes the graph and the instructions' text ([`InsnText`], as `dis` shows them);
//! names read from the file are escaped (control, format and separator characters as
//! `\xNN`/`\uNNNN`), so a crafted name cannot break a line or the DOT/Mermaid syntax.

use std::fmt::Write as _;

use crate::cfg::{Cfg, Edge, EdgeKind};

/// One instruction as a listing shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct InsnText {
    /// Byte offset.
    pub offset: u32,
    /// The opcode's name.
    pub opname: &'static str,
    /// The argument, EXTENDED_ARG folded in.
    pub arg: Option<i64>,
    /// The argument's meaning as `dis` shows it (`argrepr`), possibly empty.
    pub argrepr: String,
}

/// A code object's graph with what names it, for the renderers.
#[derive(Clone, Copy, Debug)]
pub struct CfgView<'a> {
    /// The code object's qualified name.
    pub qualname: &'a str,
    /// Its first line.
    pub firstlineno: i32,
    /// The graph.
    pub cfg: &'a Cfg,
    /// The instructions' text, in order (one per instruction of the graph; missing ones are
    /// shown by offset alone).
    pub insns: &'a [InsnText],
}

/// `s` with every character that could break a line or a quoted string of the output
/// escaped: C0/C1 controls, DEL, and Unicode format and separator characters (bidi
/// overrides, zero-width characters, line separators).
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let u = u32::from(c);
        let hidden = c.is_control()
            || matches!(u, 0xad | 0x61c | 0x180e | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x206f | 0xfeff)
            || matches!(u, 0xfff9..=0xfffb);
        if !hidden {
            out.push(c);
        } else if u < 0x100 {
            let _ = write!(out, "\\x{u:02x}");
        } else {
            let _ = write!(out, "\\u{u:04x}");
        }
    }
    out
}

fn insn_line(t: &InsnText) -> String {
    let arg = t.arg.map(|a| a.to_string()).unwrap_or_default();
    let mut line = format!("{:>6}  {:<20} {arg:>5}", t.offset, t.opname);
    if !t.argrepr.is_empty() {
        let _ = write!(line, " ({})", escape(&t.argrepr));
    }
    line.trim_end().to_owned()
}

/// The text of instruction `i` of `v` (by offset when no text was given).
fn text_of(v: &CfgView<'_>, i: usize) -> String {
    match v.insns.get(i) {
        Some(t) => insn_line(t),
        None => format!("{:>6}", v.cfg.offsets.get(i).copied().unwrap_or(0)),
    }
}

fn edge_note(e: &Edge) -> String {
    let mut s = e.kind.name().to_owned();
    if e.kind == EdgeKind::Exception {
        let mut parts = Vec::new();
        if let Some(d) = e.depth {
            parts.push(format!("depth {d}"));
        }
        if e.lasti == Some(true) {
            parts.push("lasti".to_owned());
        }
        if !parts.is_empty() {
            let _ = write!(s, " ({})", parts.join(", "));
        }
    }
    if e.back {
        s.push_str(", back edge");
    }
    s
}

/// Plain text: a heading, then each block (its offsets, role, instructions and edges), then
/// the loops.
pub fn text(v: &CfgView<'_>, out: &mut String) {
    let cfg = v.cfg;
    let loops = cfg.loops.len();
    let _ = writeln!(
        out,
        "{} (line {}): {} block{}, {} edge{}, {loops} loop{}",
        escape(v.qualname),
        v.firstlineno,
        cfg.blocks.len(),
        plural(cfg.blocks.len()),
        cfg.edges.len(),
        plural(cfg.edges.len()),
        plural(loops),
    );
    let roles = Roles::new(cfg);
    for b in &cfg.blocks {
        let mut tags = Vec::new();
        if b.id == 0 {
            tags.push("entry".to_owned());
        }
        if b.handler {
            tags.push("handler".to_owned());
        }
        if !b.reachable {
            tags.push("unreachable".to_owned());
        }
        tags.extend(roles.of(b.id));
        let tags = if tags.is_empty() { String::new() } else { format!("  {}", tags.join(", ")) };
        let _ = writeln!(out, "B{}  {}..{}{tags}", b.id, b.start, b.end);
        for i in b.first..b.first + b.len {
            let _ = writeln!(out, "{}", text_of(v, i as usize));
        }
        let succ = cfg.successors(b.id);
        if !succ.is_empty() {
            let edges: Vec<String> = succ.iter().map(|e| format!("B{} {}", e.to, edge_note(e))).collect();
            let _ = writeln!(out, "    -> {}", edges.join("; "));
        }
    }
    if !cfg.loops.is_empty() {
        out.push_str("loops:\n");
        for (k, l) in cfg.loops.iter().enumerate() {
            let blocks: Vec<String> = l.blocks.iter().map(|b| format!("B{b}")).collect();
            let latches: Vec<String> = l.latches.iter().map(|b| format!("B{b}")).collect();
            let indent = "  ".repeat(l.depth as usize);
            let _ = writeln!(
                out,
                "{indent}L{k}  header B{}, latch{} {}, blocks {}: {}",
                l.header,
                if latches.len() == 1 { "" } else { "es" },
                latches.join(" "),
                blocks.join(" "),
                per_iteration(l.per_iteration),
            );
        }
    }
    if cfg.loops_truncated {
        out.push_str("(loops not all worked out: too many nested loops)\n");
    }
    out.push('\n');
}

/// "N instructions per iteration", or a range.
#[must_use]
pub fn per_iteration(p: Option<(u32, u32)>) -> String {
    match p {
        Some((a, b)) if a == b => format!("{a} instruction{} per iteration", plural(a as usize)),
        Some((a, b)) => format!("{a}-{b} instructions per iteration"),
        None => "no path round the loop".to_owned(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Which loops each block heads or closes.
struct Roles(Vec<Vec<String>>);

impl Roles {
    fn new(cfg: &Cfg) -> Roles {
        let mut r = vec![Vec::new(); cfg.blocks.len()];
        for (k, l) in cfg.loops.iter().enumerate() {
            if let Some(x) = r.get_mut(l.header as usize) {
                x.push(format!("loop header L{k}"));
            }
            for &b in &l.latches {
                if let Some(x) = r.get_mut(b as usize) {
                    x.push(format!("latch of L{k}"));
                }
            }
        }
        Roles(r)
    }

    fn of(&self, b: u32) -> Vec<String> {
        self.0.get(b as usize).cloned().unwrap_or_default()
    }
}

/// A DOT string literal's content.
fn dot_str(s: &str) -> String {
    escape(s).replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz DOT: one `digraph` for the file, one cluster per code object; blocks are boxes
/// listing their instructions, edges are styled by kind (exception edges dashed, back
/// edges bold).
pub fn dot(name: &str, views: &[CfgView<'_>], out: &mut String) {
    let _ = writeln!(out, "digraph \"{}\" {{", dot_str(name));
    out.push_str("  node [shape=box, fontname=\"monospace\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"sans-serif\", fontsize=9];\n");
    for (c, v) in views.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{c} {{");
        let _ = writeln!(out, "    label=\"{} (line {})\";", dot_str(v.qualname), v.firstlineno);
        for b in &v.cfg.blocks {
            let mut label = format!("B{}  {}..{}\\l", b.id, b.start, b.end);
            for i in b.first..b.first + b.len {
                label.push_str(&dot_str(&text_of(v, i as usize)));
                label.push_str("\\l");
            }
            let style = if b.reachable { "" } else { ", style=dashed, color=gray" };
            let _ = writeln!(out, "    c{c}_b{} [label=\"{label}\"{style}];", b.id);
        }
        for e in &v.cfg.edges {
            let mut attrs: Vec<String> = match e.kind {
                EdgeKind::Fallthrough => Vec::new(),
                EdgeKind::Jump => vec!["label=\"jump\"".to_owned()],
                EdgeKind::BranchTaken => vec!["label=\"taken\"".to_owned(), "color=darkgreen".to_owned()],
                EdgeKind::BranchNotTaken => vec!["label=\"not taken\"".to_owned(), "color=red3".to_owned()],
                EdgeKind::Exception => vec![
                    format!("label=\"{}\"", dot_str(&edge_note(e).replace(", back edge", ""))),
                    "style=dashed".to_owned(),
                    "color=gray40".to_owned(),
                ],
            };
            if e.back {
                attrs.push("penwidth=2".to_owned());
            }
            let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
            let _ = writeln!(out, "    c{c}_b{} -> c{c}_b{}{attrs};", e.from, e.to);
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
}

/// A Mermaid label's content (inside `"…"`): quotes and angle brackets as entities.
fn mermaid_str(s: &str) -> String {
    escape(s).replace('&', "#amp;").replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;")
}

/// Mermaid `flowchart`: one subgraph per code object; exception edges dotted, back edges
/// thick.
pub fn mermaid(views: &[CfgView<'_>], out: &mut String) {
    out.push_str("flowchart TD\n");
    for (c, v) in views.iter().enumerate() {
        let _ = writeln!(out, "  subgraph c{c} [\"{} (line {})\"]", mermaid_str(v.qualname), v.firstlineno);
        for b in &v.cfg.blocks {
            let mut lines = vec![format!("B{}  {}..{}", b.id, b.start, b.end)];
            for i in b.first..b.first + b.len {
                lines.push(mermaid_str(text_of(v, i as usize).trim_start()));
            }
            let _ = writeln!(out, "    c{c}_b{}[\"{}\"]", b.id, lines.join("<br/>"));
        }
        for e in &v.cfg.edges {
            let label = match e.kind {
                EdgeKind::Fallthrough => String::new(),
                EdgeKind::BranchNotTaken => "not taken".to_owned(),
                EdgeKind::BranchTaken => "taken".to_owned(),
                _ => mermaid_str(&edge_note(e).replace(", back edge", "")),
            };
            let arrow = match (e.kind, e.back) {
                (EdgeKind::Exception, _) => "-.->",
                (_, true) => "==>",
                _ => "-->",
            };
            if label.is_empty() {
                let _ = writeln!(out, "    c{c}_b{} {arrow} c{c}_b{}", e.from, e.to);
            } else {
                let _ = writeln!(out, "    c{c}_b{} {arrow}|\"{label}\"| c{c}_b{}", e.from, e.to);
            }
        }
        out.push_str("  end\n");
    }
}
