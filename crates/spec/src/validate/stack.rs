//! The top level of the manifest: which tables it holds, the stack `name` and `region`.

use super::reader::{Cx, Tbl};

/// The top-level keys (`service` holds the `[service.NAME]` tables that become
/// `Manifest::services`; `env` the environments, merged in before the rules run).
pub(super) const KEYS: &[&str] = &[
    "name",
    "region",
    "domain",
    "certificate",
    "tags",
    "network",
    "cluster",
    "service",
    "ci",
    "alerts",
    "env",
];

/// The stack's name: `name`, then `-<env>` when an environment is chosen.
pub(super) fn name(cx: &mut Cx, top: &Tbl, env: Option<&str>) -> String {
    let Some(name) = cx.string(top, "name", "\"hello\"") else {
        if !top.has("name") {
            cx.err(
                0..0,
                "name",
                "missing field `name`: every stack needs a name; write e.g. name = \"hello\" \
                 at the top of the file",
            );
        }
        return String::new();
    };
    let n = &name.v;
    let full = match env {
        Some(env) => format!("{n}-{env}"),
        None => n.clone(),
    };
    let problem = if n.is_empty() {
        Some("the stack name is empty".to_string())
    } else if full.chars().count() > 20 {
        let what = match env {
            Some(env) => format!("`{full}` (the name and environment `{env}`)"),
            None => format!("`{n}`"),
        };
        Some(format!(
            "{what} is {} characters long: stack names are at most 20 (they prefix AWS \
             resource names that have tight length limits)",
            full.chars().count()
        ))
    } else if !n
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        Some(format!(
            "`{n}` has characters other than lowercase letters, digits and `-`"
        ))
    } else if !n.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some(format!("`{n}` does not start with a letter"))
    } else if n.ends_with('-') {
        Some(format!("`{n}` ends with `-`"))
    } else if n.contains("--") {
        Some(format!("`{n}` contains `--`"))
    } else {
        None
    };
    if let Some(p) = problem {
        // Room left for `name` once `-<env>` is added.
        let max = 20usize
            .saturating_sub(env.map_or(0, |e| e.len() + 1))
            .max(1);
        let suggestion = suggest_name(n, max);
        cx.err(
            name.span,
            "name",
            format!(
                "{p}; a stack name is 1-{max} of a-z, 0-9 and `-`, starting with a letter; \
                 write e.g. name = \"{suggestion}\""
            ),
        );
    }
    full
}

/// A valid name close to `n`, for suggestions.
pub(super) fn suggest_name(n: &str, max: usize) -> String {
    let mut s = String::new();
    for c in n.chars() {
        let c = c.to_ascii_lowercase();
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if c == '-' && (s.is_empty() || s.ends_with('-')) {
            continue;
        }
        if s.is_empty() && !c.is_ascii_lowercase() {
            continue;
        }
        s.push(c);
    }
    let mut s: String = s.chars().take(max).collect();
    while s.ends_with('-') {
        s.pop();
    }
    if s.is_empty() { "hello".to_string() } else { s }
}

/// Shaped like an AWS region name: `eu-west-2`, `us-gov-west-1`.
pub(super) fn is_region(r: &str) -> bool {
    // ^[a-z]{2}(-gov)?-[a-z]+-\d$
    let parts: Vec<&str> = r.split('-').collect();
    let lower = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase());
    let (cc, rest) = match parts.as_slice() {
        [cc, "gov", area, digit] => (cc, [*area, *digit]),
        [cc, area, digit] => (cc, [*area, *digit]),
        _ => return false,
    };
    cc.len() == 2
        && lower(cc)
        && lower(rest[0])
        && rest[1].len() == 1
        && rest[1].chars().all(|c| c.is_ascii_digit())
}

/// `region`, when set.
pub(super) fn region(cx: &mut Cx, top: &Tbl) -> Option<String> {
    let r = cx.string(top, "region", "\"eu-west-2\"")?;
    // Before the shape check: `us-iso-east-1` is not shaped like an aws-partition region,
    // and the partition is what the user needs to hear about.
    if let Some(why) = crate::facts::unsupported_region(&r.v) {
        cx.err(r.span, "region", why);
        return None;
    }
    if is_region(&r.v) {
        return Some(r.v);
    }
    let lower = r.v.trim().to_ascii_lowercase();
    let hint = if is_region(&lower) {
        format!("write region = \"{lower}\"")
    } else {
        "write e.g. region = \"eu-west-2\"".to_string()
    };
    cx.err(
        r.span,
        "region",
        format!(
            "`{}` is not an AWS region name (like eu-west-2 or us-east-1); {hint}",
            r.v
        ),
    );
    None
}
