//! The graph each shipped example draws, offline: a snapshot of every node (so a change to
//! what berth would build shows up in review), and a check that the kinds' deletion order
//! agrees with the references, so orphans (no node left to order them) go in a safe order.

use berth_engine::{Node, OnChange};

use super::{Inputs, nodes};

pub(crate) fn example(file: &str) -> Vec<Node> {
    example_in(file, None)
}

/// `public_zone`: the domain's hosted zone, as if the account had it.
fn example_in(file: &str, public_zone: Option<&str>) -> Vec<Node> {
    let path = format!("{}/../../examples/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let manifest = berth_spec::parse(file, &text).unwrap();
    let inputs = Inputs {
        public_zone: public_zone.map(str::to_string),
        oidc_provider_elsewhere: false,
        region: manifest
            .region
            .clone()
            .unwrap_or_else(|| "eu-west-2".into()),
        account: "123456789012".into(),
        azs: ["a", "b", "c", "d", "e", "f"][..manifest.network.azs.count()]
            .iter()
            .map(|l| format!("eu-west-2{l}"))
            .collect(),
        ami: Some("ami-0example".into()),
    };
    nodes(&manifest, &inputs)
}

/// One node per block: id, kind, ordering edges, then each property (`!` replaces on change,
/// `~` is used at create only).
fn render(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in nodes {
        out.push_str(&format!("{} [{}]\n", node.id, node.kind));
        for after in &node.after {
            out.push_str(&format!("  after {after}\n"));
        }
        for (key, prop) in &node.props {
            let mark = match prop.on_change {
                OnChange::Update => ' ',
                OnChange::Replace => '!',
                OnChange::Ignore => '~',
            };
            out.push_str(&format!("  {mark}{key} = {}\n", prop.value));
        }
    }
    out
}

#[test]
fn graphs_of_the_examples() {
    for file in [
        "seed-ec2.toml",
        "fargate.toml",
        "network.toml",
        "https.toml",
    ] {
        insta::assert_snapshot!(file, render(&example(file)));
    }
    // With the domain's hosted zone in the account: the records too.
    let in_zone = example_in("https.toml", Some("Z0EXAMPLE"));
    insta::assert_snapshot!("https.toml in its zone", render(&in_zone));
}

#[tokio::test]
async fn deletion_order_agrees_with_the_references() {
    let options = crate::ConnectOptions {
        region: Some("eu-west-2".into()),
        ..Default::default()
    };
    let aws = crate::Aws::connect(&options).await.unwrap();
    let registry = crate::registry(&aws);
    let files = [
        "seed-ec2.toml",
        "fargate.toml",
        "network.toml",
        "https.toml",
    ];
    for (file, zone) in files
        .map(|f| (f, None))
        .into_iter()
        .chain([("https.toml", Some("Z0"))])
    {
        let nodes = example_in(file, zone);
        let kind_of = |id: &berth_engine::LogicalId| {
            nodes
                .iter()
                .find(|n| &n.id == id)
                .map(|n| n.kind)
                .unwrap_or_else(|| panic!("{file}: {id} is referenced but not a node"))
        };
        for node in &nodes {
            for dep in node.deps() {
                let dep_kind = kind_of(&dep);
                assert!(
                    dep_kind == node.kind || registry.kind_depends_on(node.kind, dep_kind),
                    "{file}: {} ({}) needs {dep} ({dep_kind}), but the {} kind does not list \
                     {dep_kind} in `after`: an orphaned {dep_kind} could be deleted first",
                    node.id,
                    node.kind,
                    node.kind,
                );
            }
        }
    }
}
