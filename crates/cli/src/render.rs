//! The plan as people read it, in Terraform's notation: `+` create, `~` update,
//! `-/+` replace, `-` delete, then a one-line summary.

use berth_aws::cost::StackCost;
use berth_engine::{Action, FieldChange, Json, Plan};

const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

/// Long values (policy documents, user data) are shortened to this many characters.
const MAX_VALUE: usize = 60;

/// `cost`: the stack's estimate after the plan, shown beside what each change costs and as a
/// total at the end.
pub fn render_plan(plan: &Plan, cost: Option<&StackCost>, color: bool) -> String {
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
        let monthly = match (&step.action, cost.and_then(|c| c.of(&step.id))) {
            (Action::Delete, _) | (_, None) => String::new(),
            (_, Some(e)) => format!("  ${:.2}/month: {}", e.usd, e.basis),
        };
        out.push_str(&format!(
            "{} {}{} {}{monthly}\n",
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
    if let Some(cost) = cost {
        out.push_str(&format!("{}\n", cost.summary()));
    }
    out
}

fn render_change(c: &FieldChange) -> String {
    let old = c
        .old
        .as_ref()
        .map(shorten)
        .unwrap_or_else(|| "(none)".into());
    let new = match &c.new {
        Some(v) => shorten(v),
        None if c.is_tag() => "(removed)".into(),
        None => "(known after apply)".into(),
    };
    let replaces = if c.replaces {
        " (forces replacement)"
    } else {
        ""
    };
    format!("{}: {old} -> {new}{replaces}", c.field)
}

/// A value as compact JSON (strings quoted), cut to [`MAX_VALUE`] characters.
fn shorten(value: &Json) -> String {
    let quoted = value.to_string();
    if quoted.chars().count() <= MAX_VALUE {
        return quoted;
    }
    let head: String = quoted.chars().take(MAX_VALUE - 1).collect();
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use berth_engine::fake::FakeCloud;
    use berth_engine::{Executor, Node, Registry, Tags, Value, discover, plan};

    const STACK: &str = "demo";

    fn node(kind: &'static str, id: &str, tags: &Tags) -> Node {
        Node::new(kind, id, STACK, tags)
    }

    fn network(tags: &Tags, subnet_cidr: &str) -> Vec<Node> {
        vec![
            node("vpc", "vpc", tags).immutable("cidr", "10.0.0.0/16"),
            node("subnet", "subnet/a", &Tags::new())
                .immutable("vpc_id", Value::refer("vpc", "id"))
                .immutable("cidr", subnet_cidr),
            node("rt", "rt/a", &Tags::new())
                .prop("route", Value::refer("subnet/a", "id"))
                .prop("subnets", Value::Set(vec![Value::refer("subnet/a", "id")])),
        ]
    }

    #[tokio::test]
    async fn renders_plans_like_terraform() {
        let cloud = FakeCloud::new();
        let mut registry = Registry::new();
        registry.register(cloud.kind("vpc", &[], &[]));
        registry.register(cloud.kind("subnet", &["vpc"], &[]));
        registry.register(cloud.kind("rt", &["subnet"], &[]));
        registry.register(cloud.kind("thing", &[], &[]));
        let first = network(&Tags::new(), "10.0.0.0/24");
        let inventory = discover(&registry, STACK, 4).await.unwrap();
        let p = plan(&first, &inventory, &registry).unwrap();
        let report = Executor::new(registry.clone())
            .apply(&p, &first, &inventory)
            .await;
        assert!(report.is_success(), "{}", report.render_summary());
        cloud.insert("thing", "orphan", STACK);
        let by_hand = cloud.insert_by_hand("thing", STACK);

        let tags = Tags::from([("team".to_string(), "infra".to_string())]);
        let mut next = network(&tags, "10.0.5.0/24");
        next.push(node("thing", "new", &Tags::new()));
        let inventory = discover(&registry, STACK, 4).await.unwrap();
        let text = super::render_plan(&plan(&next, &inventory, &registry).unwrap(), None, false);
        assert!(
            text.contains(&format!("? thing {by_hand} \"made-by-hand\"")),
            "{text}"
        );
        insta::assert_snapshot!(text.replace(&by_hand, "thing-N"));
    }
}
