//! `[env.NAME]` overlays: what they override, what they may not, and where problems in them
//! are reported.

use berth_spec::{SpecError, environments, parse, parse_all, parse_env};

const FILE: &str = r#"name = "shop"

[network]
cidr = "10.10.0.0/16"
azs = 2

[service.web]
image = "web:1"
count = 2
env = { LOG = "info", MODE = "base" }

[env.staging]

[env.prod]
network.cidr = "10.20.0.0/16"
cluster.instance_type = "t3.large"

[env.prod.service.web]
count = 4
env = { LOG = "warn" }

[env.prod.service.worker]
image = "worker:1"
public = false
"#;

fn problems(err: SpecError) -> Vec<(usize, String)> {
    err.problems()
        .iter()
        .map(|p| (p.line, format!("{}: {}", p.field, p.message)))
        .collect()
}

#[test]
fn an_environment_overrides_key_by_key_and_names_its_own_stack() {
    assert_eq!(environments(FILE), ["prod", "staging"], "sorted");

    let staging = parse_env("berth.toml", FILE, Some("staging")).unwrap();
    assert_eq!(staging.name, "shop-staging");
    assert_eq!(staging.environment.as_deref(), Some("staging"));
    assert_eq!(staging.network.cidr.to_string(), "10.10.0.0/16");
    assert_eq!(staging.services["web"].count, 2);
    assert!(!staging.services.contains_key("worker"));

    let prod = parse_env("berth.toml", FILE, Some("prod")).unwrap();
    assert_eq!(prod.name, "shop-prod");
    assert_eq!(prod.network.cidr.to_string(), "10.20.0.0/16");
    assert_eq!(prod.network.azs, staging.network.azs, "untouched keys stay");
    assert_eq!(prod.cluster.instance_type, "t3.large");
    let web = &prod.services["web"];
    assert_eq!((web.count, web.image.as_deref()), (4, Some("web:1")));
    // Inline tables merge too: one variable changes, the other stays.
    assert_eq!(web.env["LOG"], "warn");
    assert_eq!(web.env["MODE"], "base");
    assert!(prod.services.contains_key("worker"), "only prod has it");

    let base = parse("berth.toml", FILE).unwrap();
    assert_eq!(base.name, "shop");
    assert_eq!(base.environment, None);
}

#[test]
fn an_unknown_environment_lists_the_known_ones() {
    let err = parse_env("berth.toml", FILE, Some("stagin")).unwrap_err();
    let all = problems(err);
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(
        all[0].1.contains("`stagin` is not declared") && all[0].1.contains("prod, staging"),
        "{all:?}"
    );
    let err = parse_env("berth.toml", "name = \"a\"\n", Some("prod")).unwrap_err();
    assert!(problems(err)[0].1.contains("no environments"));
}

#[test]
fn a_bad_override_is_reported_on_its_own_line() {
    let text = format!("{FILE}\n[env.qa.service.web]\ncount = \"many\"\n");
    let err = parse_env("berth.toml", &text, Some("qa")).unwrap_err();
    let all = problems(err);
    assert_eq!(all.len(), 1, "{all:?}");
    let line = text.lines().position(|l| l == "count = \"many\"").unwrap() + 1;
    assert_eq!(all[0].0, line, "{all:?}");
    assert!(all[0].1.starts_with("service.web.count:"), "{all:?}");
}

#[test]
fn every_environment_is_checked_whichever_is_chosen() {
    let text = "name = \"shop\"\n[env.prod]\nname = \"other\"\n[env.Bad_Name]\n[env.deep.env.x]\n";
    let err = parse_env("berth.toml", text, Some("deep")).unwrap_err();
    let all = problems(err);
    let found = |line: usize, needle: &str| {
        assert!(
            all.iter().any(|(l, m)| *l == line && m.contains(needle)),
            "no `{needle}` on line {line} in {all:?}"
        )
    };
    found(3, "cannot rename the stack");
    found(4, "not an environment name");
    found(4, "[env.bad-name]");
    found(5, "do not nest");
}

#[test]
fn the_stack_name_and_environment_fit_twenty_characters() {
    let text = "name = \"a-long-stack-name\"\n[env.production]\n";
    let err = parse_env("berth.toml", text, Some("production")).unwrap_err();
    let all = problems(err);
    assert!(
        all[0]
            .1
            .contains("`a-long-stack-name-production` (the name and environment"),
        "{all:?}"
    );
    assert!(all[0].1.contains("1-9 of a-z"), "{all:?}");
    assert!(all[0].1.contains("name = \"a-long-st\""), "{all:?}");
}

#[test]
fn validating_every_environment_reports_each_problem_once() {
    let all = parse_all("berth.toml", FILE).unwrap();
    let names: Vec<_> = all.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["shop-prod", "shop-staging"]);

    let text = FILE.replace("count = 2", "count = -1") + "[env.qa.cluster]\ncapacity = \"gpu\"\n";
    let err = parse_all("berth.toml", &text).unwrap_err();
    let all = problems(err);
    let count: Vec<_> = all
        .iter()
        .filter(|(_, m)| m.starts_with("service.web.count"))
        .collect();
    // prod overrides the count; staging and qa inherit the bad one.
    assert_eq!(count.len(), 1, "{all:?}");
    assert!(
        count[0].1.ends_with("(in environment qa, staging)"),
        "{all:?}"
    );
    let capacity: Vec<_> = all
        .iter()
        .filter(|(_, m)| m.starts_with("cluster.capacity"))
        .collect();
    assert!(capacity[0].1.ends_with("(in environment qa)"), "{all:?}");
}

/// `berth init` shows the pattern commented out; uncommented, it is two valid stacks.
#[test]
fn the_init_example_environments_parse() {
    let example = berth_spec::example();
    let at = example
        .find("# [env.staging]")
        .expect("the example shows environments");
    let uncommented: String = example[at..]
        .lines()
        .map(|l| l.strip_prefix("# ").unwrap_or(l.trim_start_matches('#')))
        .map(|l| format!("{l}\n"))
        .collect();
    let text = format!("{}{uncommented}", &example[..at]);
    let all = parse_all("berth.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<_> = all.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["hello-prod", "hello-staging"]);
    assert_ne!(all[0].network.cidr, all[1].network.cidr);
}
