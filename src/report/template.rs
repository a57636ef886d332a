//! Markdown and HTML through tera, from the templates in `templates/` (embedded).

use super::escape;
use super::Report;
use crate::base::error::{Error, Result};
use crate::base::finding::{Finding, Severity};
use crate::findings::checklist::{BEFORE_GOING_LIVE, REGULAR_REVIEW};
use serde::Serialize;
use std::collections::BTreeMap;

const MARKDOWN: &str = include_str!("../../templates/report.md.tera");
const HTML: &str = include_str!("../../templates/report.html.tera");

#[derive(Serialize)]
struct Group<'a> {
    resource: &'a str,
    file: &'a str,
    findings: Vec<&'a Finding>,
}

#[derive(Serialize)]
struct SeverityCount {
    name: &'static str,
    count: usize,
    /// Bar length in the summary chart, 0–300 (user units of the SVG).
    bar: usize,
}

#[derive(Serialize)]
struct StatusCounts {
    pass: usize,
    fail: usize,
    no_evidence: usize,
}

/// A control's findings, for the "by control" view.
#[derive(Serialize)]
struct ControlFindings<'a> {
    id: &'a str,
    title: &'a str,
    findings: Vec<&'a Finding>,
}

#[derive(Serialize)]
struct Section<'a> {
    name: &'static str,
    controls: Vec<&'a crate::findings::checklist::Control>,
}

#[derive(Serialize)]
struct RuleRef<'a> {
    id: &'a str,
    title: &'a str,
    severity: Severity,
    category: &'a str,
}

#[derive(Serialize)]
struct View<'a> {
    #[serde(flatten)]
    report: &'a Report,
    severities: Vec<SeverityCount>,
    checklist_sections: Vec<Section<'a>>,
    groups: Vec<Group<'a>>,
    rules: Vec<RuleRef<'a>>,
    statuses: StatusCounts,
    by_control: Vec<ControlFindings<'a>>,
}

fn view(report: &Report) -> View<'_> {
    // groups in order of first appearance, which follows the findings' sort order
    let mut order: Vec<(&str, &str)> = Vec::new();
    let mut by: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        let k = (f.resource.as_str(), f.file.as_str());
        if !by.contains_key(&k) {
            order.push(k);
        }
        by.entry(k).or_default().push(f);
    }
    let groups = order
        .into_iter()
        .map(|k| Group {
            resource: k.0,
            file: k.1,
            findings: by.remove(&k).unwrap_or_default(),
        })
        .collect();
    let mut rules: BTreeMap<&str, RuleRef<'_>> = BTreeMap::new();
    for f in &report.findings {
        rules.entry(&f.rule).or_insert(RuleRef {
            id: &f.rule,
            title: &f.title,
            severity: f.severity,
            category: &f.category,
        });
    }
    let most = Severity::ALL
        .into_iter()
        .map(|s| report.summary.by_severity.get(s))
        .max()
        .unwrap_or(0)
        .max(1);
    let status_count =
        |st: crate::findings::checklist::Status| report.checklist.iter().filter(|c| c.status == st).count();
    View {
        report,
        severities: Severity::ALL
            .into_iter()
            .map(|s| {
                let count = report.summary.by_severity.get(s);
                SeverityCount {
                    name: s.as_str(),
                    count,
                    bar: count * 300 / most,
                }
            })
            .collect(),
        statuses: StatusCounts {
            pass: status_count(crate::findings::checklist::Status::Pass),
            fail: status_count(crate::findings::checklist::Status::Fail),
            no_evidence: status_count(crate::findings::checklist::Status::NoEvidence),
        },
        by_control: report
            .checklist
            .iter()
            .map(|c| ControlFindings {
                id: &c.id,
                title: &c.title,
                findings: report.findings.iter().filter(|f| f.checklist.contains(&c.id)).collect(),
            })
            .filter(|c| !c.findings.is_empty())
            .collect(),
        checklist_sections: [BEFORE_GOING_LIVE, REGULAR_REVIEW]
            .into_iter()
            .map(|name| Section {
                name,
                controls: report.checklist.iter().filter(|c| c.section == name).collect(),
            })
            .filter(|s| !s.controls.is_empty())
            .collect(),
        groups,
        rules: rules.into_values().collect(),
    }
}

type Args = std::collections::HashMap<String, tera::Value>;

fn flag(args: &Args, name: &str, default: bool) -> bool {
    args.get(name).and_then(tera::Value::as_bool).unwrap_or(default)
}

fn plain(v: &tera::Value) -> String {
    match v {
        tera::Value::String(s) => s.clone(),
        tera::Value::Null => String::new(),
        v => v.to_string(),
    }
}

/// `{{ value | code(cell=true) | safe }}`: the value as a whole code span.
fn code_filter(v: &tera::Value, args: &Args) -> tera::Result<tera::Value> {
    Ok(escape::code_span(&plain(v), flag(args, "cell", false)).into())
}

/// `{{ finding | location | safe }}`: `file:line:column` of anything with those fields,
/// as one code span.
fn location_filter(v: &tera::Value, args: &Args) -> tera::Result<tera::Value> {
    let mut s = plain(v.get("file").unwrap_or(&tera::Value::Null));
    if let Some(line) = v.get("line").and_then(tera::Value::as_u64) {
        s.push_str(&format!(":{line}"));
        if let Some(column) = v
            .get("column")
            .and_then(tera::Value::as_u64)
            .filter(|_| flag(args, "column", true))
        {
            s.push_str(&format!(":{column}"));
        }
    }
    Ok(escape::code_span(&s, flag(args, "cell", false)).into())
}

fn tera_error(format: &str) -> impl Fn(tera::Error) -> Error + '_ {
    move |e: tera::Error| {
        let mut message = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            message.push_str(": ");
            message.push_str(&s.to_string());
            src = s.source();
        }
        Error::Render {
            format: format.to_string(),
            message,
        }
    }
}

fn prepare(name: &str, source: &str, report: &Report, format: &str) -> Result<(tera::Tera, tera::Context)> {
    let err = tera_error(format);
    let mut tera = tera::Tera::default();
    // every `{{ }}` value is escaped for the format it lands in (src/report/escape.rs)
    if name.ends_with(".md") {
        tera.autoescape_on(vec![".md"]);
        tera.set_escape_fn(escape::markdown);
        tera.register_filter("code", code_filter);
        tera.register_filter("location", location_filter);
        tera.register_filter("prose", |v: &tera::Value, args: &Args| {
            Ok(escape::markdown_prose(&plain(v), flag(args, "cell", false)).into())
        });
    } else {
        tera.set_escape_fn(|s| tera::escape_html(&escape::html_text(s)));
    }
    tera.add_raw_template(name, source).map_err(&err)?;
    let context = tera::Context::from_serialize(view(report)).map_err(&err)?;
    Ok((tera, context))
}

fn render(name: &str, source: &str, report: &Report, format: &str) -> Result<String> {
    let (tera, context) = prepare(name, source, report, format)?;
    tera.render(name, &context).map_err(tera_error(format))
}

/// Renders into `out` as the template runs; `dest` names it in a write error.
fn render_to(
    name: &str,
    source: &str,
    report: &Report,
    format: &str,
    dest: &str,
    out: &mut dyn std::io::Write,
) -> Result<()> {
    let (tera, context) = prepare(name, source, report, format)?;
    tera.render_to(name, &context, out).map_err(|e| match io_error(&e) {
        Some(source) => Error::Write {
            path: dest.to_string(),
            source,
        },
        None => tera_error(format)(e),
    })
}

/// The write error somewhere in tera's chain ("failed to render", then "io error while
/// writing", then the system's error), if it is one.
fn io_error(e: &tera::Error) -> Option<std::io::Error> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return Some(std::io::Error::new(io.kind(), io.to_string()));
        }
        cause = c.source();
    }
    None
}

pub fn markdown(report: &Report) -> Result<String> {
    render("report.md", MARKDOWN, report, "markdown")
}

/// Autoescaping is on for `.html` template names.
pub fn html(report: &Report) -> Result<String> {
    render("report.html", HTML, report, "html")
}

pub(super) fn write_markdown(report: &Report, dest: &str, out: &mut dyn std::io::Write) -> Result<()> {
    render_to("report.md", MARKDOWN, report, "markdown", dest, out)
}

pub(super) fn write_html(report: &Report, dest: &str, out: &mut dyn std::io::Write) -> Result<()> {
    render_to("report.html", HTML, report, "html", dest, out)
}
