//! The pages. Titles, tables, columns and query parameters follow upstream's (core
//! `service/internal/zpages`, `service/internal/graph/zpages.go`, contrib's go `zpages` tracez),
//! so that people and scripts used to the Go collector find what they expect; the markup is our
//! own and loads nothing from the network.

use std::fmt::Write;

use component::GraphDescription;

/// What `/debug/servicez` shows besides the graph.
pub struct Runtime {
    /// When the collector started (RFC 3339).
    pub start: String,
}

/// The page names under `/debug/`.
pub const SERVICEZ: &str = "servicez";
pub const PIPELINEZ: &str = "pipelinez";
pub const EXTENSIONZ: &str = "extensionz";
pub const FEATUREZ: &str = "featurez";
pub const TRACEZ: &str = "tracez";
pub const EXPVARZ: &str = "expvarz";

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a query parameter value for a link.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

const SEPARATOR: &str = "<td>&nbsp;&nbsp;|&nbsp;&nbsp;</td>";

fn header(out: &mut String, title: &str) {
    let title = escape(title);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
         <style>table {{border-spacing: 0}} td {{padding: 2px 4px}} tr.even {{background: #eee}}</style>\n\
         </head>\n<body>\n<h2>{title}</h2>\n"
    );
}

fn footer(out: &mut String) {
    out.push_str("</body>\n</html>\n");
}

fn row_open(out: &mut String, index: usize) {
    out.push_str(if index.is_multiple_of(2) {
        "<tr class=\"even\">"
    } else {
        "<tr>"
    });
}

fn heading_row(out: &mut String, columns: &[&str]) {
    out.push_str("<tr>");
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push_str(SEPARATOR);
        }
        let _ = write!(out, "<td><b>{}</b></td>", escape(c));
    }
    out.push_str("</tr>\n");
}

fn component_header(out: &mut String, name: &str, link: Option<&str>) {
    match link {
        Some(href) => {
            let _ = writeln!(
                out,
                "<h6><a href=\"{}\">{}</a></h6>",
                escape(href),
                escape(name)
            );
        }
        None => {
            let _ = writeln!(out, "<h6>{}</h6>", escape(name));
        }
    }
}

fn properties_table(out: &mut String, name: &str, rows: &[(&str, &str)]) {
    let _ = writeln!(out, "<b>{}:</b>\n<table>", escape(name));
    for (i, (k, v)) in rows.iter().enumerate() {
        row_open(out, i);
        let _ = writeln!(
            out,
            "<td><b>{}</b></td>{SEPARATOR}<td>{}</td></tr>",
            escape(k),
            escape(v)
        );
    }
    out.push_str("</table>\n");
}

/// `/debug/servicez`: build and runtime information and links to the other pages.
pub fn servicez(graph: &GraphDescription, runtime: &Runtime) -> String {
    let mut out = String::new();
    header(&mut out, &format!("Service {}", graph.command));
    properties_table(
        &mut out,
        "Build Info",
        &[("Command", &graph.command), ("Version", &graph.version)],
    );
    properties_table(
        &mut out,
        "Runtime Info",
        &[
            ("StartTimestamp", &runtime.start),
            ("OS", std::env::consts::OS),
            ("Arch", std::env::consts::ARCH),
        ],
    );
    component_header(&mut out, "Pipelines", Some(PIPELINEZ));
    component_header(&mut out, "Extensions", Some(EXTENSIONZ));
    component_header(&mut out, "Features", Some(FEATUREZ));
    footer(&mut out);
    out
}

/// `/debug/pipelinez`: every running pipeline with its components, sorted by id as upstream.
/// `zpipelinename`, `zcomponentname` and `zcomponentkind` name one component to head the page
/// with, as upstream's links do.
pub fn pipelinez(graph: &GraphDescription, query: &[(String, String)]) -> String {
    let mut out = String::new();
    header(&mut out, "builtPipelines");
    out.push_str("<table>\n");
    heading_row(
        &mut out,
        &[
            "FullName",
            "InputType",
            "Receivers",
            "Processors",
            "Exporters",
        ],
    );
    let mut pipelines: Vec<_> = graph.pipelines.iter().collect();
    pipelines.sort_by(|a, b| a.id.cmp(&b.id));
    for (i, p) in pipelines.iter().enumerate() {
        let link = |id: &str, kind: &str| {
            format!(
                "<a href=\"?zpipelinename={}&amp;zcomponentname={}&amp;zcomponentkind={kind}\">{}</a>",
                escape(&query_escape(&p.id)),
                escape(&query_escape(id)),
                escape(id)
            )
        };
        row_open(&mut out, i);
        let _ = write!(
            out,
            "<td>{}</td>{SEPARATOR}<td>{}</td>{SEPARATOR}<td>",
            escape(&p.id),
            escape(&p.signal)
        );
        for r in &p.receivers {
            let _ = write!(out, "{}<br>", link(r, "receiver"));
        }
        let _ = write!(out, "</td>{SEPARATOR}<td>&rarr;");
        for pr in &p.processors {
            let _ = write!(out, " {} &rarr;", link(pr, "processor"));
        }
        let _ = write!(out, "</td>{SEPARATOR}<td>");
        for e in &p.exporters {
            let _ = write!(out, "{}<br>", link(e, "exporter"));
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</table>\n");
    let get = |key: &str| {
        query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let (pipeline, name, kind) = (
        get("zpipelinename"),
        get("zcomponentname"),
        get("zcomponentkind"),
    );
    if !pipeline.is_empty() && !name.is_empty() && !kind.is_empty() {
        // A processor instance belongs to its pipeline, the others are shared.
        let full = if kind == "processor" {
            format!("{pipeline}/{name}")
        } else {
            name.to_string()
        };
        component_header(&mut out, &format!("{kind}: {full}"), None);
    }
    footer(&mut out);
    out
}

/// `/debug/extensionz`: the running extensions, sorted; `zextensionname` heads the page with one.
pub fn extensionz(graph: &GraphDescription, query: &[(String, String)]) -> String {
    let mut out = String::new();
    header(&mut out, "Extensions");
    out.push_str("<table>\n");
    let mut extensions: Vec<_> = graph.extensions.iter().collect();
    extensions.sort();
    for (i, e) in extensions.iter().enumerate() {
        row_open(&mut out, i);
        let _ = writeln!(
            out,
            "<td><a href=\"?zextensionname={}\">{}</a></td></tr>",
            escape(&query_escape(e)),
            escape(e)
        );
    }
    out.push_str("</table>\n");
    if let Some((_, name)) = query
        .iter()
        .find(|(k, v)| k == "zextensionname" && !v.is_empty())
    {
        component_header(&mut out, name, None);
    }
    footer(&mut out);
    out
}

/// `/debug/featurez`: the feature gates and whether they are on.
pub fn featurez(graph: &GraphDescription) -> String {
    let mut out = String::new();
    header(&mut out, "Feature Gates");
    out.push_str("<table>\n");
    heading_row(
        &mut out,
        &[
            "ID",
            "Enabled",
            "Description",
            "Stage",
            "From Version",
            "To Version",
            "Reference URL",
        ],
    );
    for (i, g) in graph.feature_gates.iter().enumerate() {
        row_open(&mut out, i);
        let _ = writeln!(
            out,
            "<td>{}</td>{SEPARATOR}<td>{}</td>{SEPARATOR}<td>{}</td>{SEPARATOR}<td>{}</td>\
             {SEPARATOR}<td></td>{SEPARATOR}<td></td>{SEPARATOR}<td></td></tr>",
            escape(&g.id),
            g.enabled,
            escape(&g.description),
            escape(&g.stage)
        );
    }
    out.push_str("</table>\n");
    if graph.feature_gates.is_empty() {
        out.push_str("<p>No feature gates are registered.</p>\n");
    }
    footer(&mut out);
    out
}

/// Go's zpages latency buckets, as its tracez summary heads them.
const LATENCY_BUCKETS: [&str; 9] = [
    ">0s", ">10µs", ">100µs", ">1ms", ">10ms", ">100ms", ">1s", ">10s", ">1m40s",
];

/// `/debug/tracez`: upstream's summary of the collector's own spans by name and latency.
/// ferrocol does not trace its own work, so the table is always empty, as upstream's is before
/// any span was sampled; the page says why.
pub fn tracez() -> String {
    let mut out = String::new();
    header(&mut out, "Trace Spans");
    out.push_str("<table>\n");
    let mut columns = vec!["Name", "active"];
    columns.extend(LATENCY_BUCKETS);
    columns.push("Errors");
    heading_row(&mut out, &columns);
    out.push_str("</table>\n");
    out.push_str(
        "<p>No sampled spans. ferrocol does not record spans of its own work \
         (service::telemetry::traces), so there are none to show.</p>\n",
    );
    footer(&mut out);
    out
}

/// `/debug/expvarz`: Go's expvar document holds `cmdline` and `memstats`; only the first
/// means anything outside a Go runtime.
pub fn expvarz() -> String {
    let args: Vec<String> = std::env::args().collect();
    let doc = serde_json::json!({ "cmdline": args });
    format!("{doc}\n")
}
