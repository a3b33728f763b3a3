//! The plan as people read it, in Terraform's notation: `+` create, `~` update,
//! `-/+` replace, `-` delete, then a one-line summary.

use crate::plan::{Action, Plan};
use crate::resource::FieldChange;

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Long values (policy documents, user data) are shortened to this many characters.
const MAX_VALUE: usize = 60;

pub fn render_plan(plan: &Plan, color: bool) -> String {
    let paint = |code: &str, text: &str| {
        if color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    for step in &plan.steps {
        let (sign, code, verb) = match &step.action {
            Action::NoOp => continue,
            Action::Create => ("  +", GREEN, "create"),
            Action::Update(_) => ("  ~", YELLOW, "update"),
            Action::Replace(_) => ("-/+", RED, "replace"),
            Action::Delete => ("  -", RED, "delete"),
        };
        let cloud = step
            .cloud_id
            .as_deref()
            .map(|c| format!(" ({c})"))
            .unwrap_or_default();
        out.push_str(&format!(
            "{} {}{} {}\n",
            paint(code, sign),
            paint(BOLD, step.id.as_str()),
            cloud,
            paint(code, &format!("[{} {verb}]", step.kind))
        ));
        for change in step.action.changes() {
            out.push_str(&format!("      {}\n", render_change(change)));
        }
    }
    if !plan.unmanaged.is_empty() {
        out.push_str(&format!(
            "\n{} tagged with this stack but not made by berth (no berth:id tag). \
             `up` leaves them alone; `down` deletes them:\n",
            paint(YELLOW, "Warning:")
        ));
        for u in &plan.unmanaged {
            let name = u
                .name
                .as_deref()
                .map(|n| format!(" \"{n}\""))
                .unwrap_or_default();
            out.push_str(&format!("  ? {} {}{name}\n", u.kind, u.cloud_id));
        }
    }
    let summary = plan.summary();
    if plan.has_changes() {
        out.push_str(&format!("\nPlan: {summary}.\n"));
    } else {
        out.push_str(&format!(
            "No changes. The stack matches the manifest ({} resources).\n",
            summary.unchanged
        ));
    }
    out
}

fn render_change(c: &FieldChange) -> String {
    let is_tag = c.field.starts_with("tags.");
    let old = c
        .old
        .as_deref()
        .map(shorten)
        .unwrap_or_else(|| "(none)".into());
    let new = match &c.new {
        Some(v) => shorten(v),
        None if is_tag => "(removed)".into(),
        None => "(known after apply)".into(),
    };
    format!("{}: {old} -> {new}", c.field)
}

fn shorten(value: &str) -> String {
    let quoted = format!("{value:?}");
    if quoted.chars().count() <= MAX_VALUE {
        return quoted;
    }
    let head: String = quoted.chars().take(MAX_VALUE - 1).collect();
    format!("{head}…")
}
