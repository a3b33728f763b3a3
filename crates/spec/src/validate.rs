//! Parsing and validation.
//!
//! The text is parsed into toml's spanned document model (`DeTable`: every key and value
//! carries its byte range), then walked by hand: each table is checked for unknown keys,
//! each field is read with its span, validated, and converted into the public types.
//! Walking by hand instead of `#[derive(Deserialize)]` means one bad field does not stop
//! the walk: every problem in the file is collected and reported together.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::ops::Range;

use ipnet::Ipv4Net;
use toml::Spanned;
use toml::de::{DeArray, DeString, DeTable, DeValue};

use crate::error::{Problem, SpecError};
use crate::types::*;

/// Default VPC CIDR (the seed's).
pub const DEFAULT_CIDR: &str = "172.24.0.0/16";
/// Default private DNS zone (the seed's).
pub const DEFAULT_PRIVATE_ZONE: &str = "myorg.local";
/// Default EC2 instance type (the seed's).
pub const DEFAULT_INSTANCE_TYPE: &str = "t3.small";

const TOP_KEYS: &[&str] = &["name", "region", "tags", "network", "cluster", "service"];
const NETWORK_KEYS: &[&str] = &[
    "cidr",
    "azs",
    "nat",
    "private_zone",
    "endpoints",
    "public_subnets",
    "private_subnets",
    "allow_overlap",
];
const CLUSTER_KEYS: &[&str] = &[
    "capacity",
    "instance_type",
    "min",
    "max",
    "desired",
    "ssh_key",
];
const SERVICE_KEYS: &[&str] = &[
    "image",
    "port",
    "cpu",
    "memory",
    "count",
    "health_check",
    "public",
    "path",
    "env",
    "secrets",
    "autoscaling",
];
const AUTOSCALING_KEYS: &[&str] = &["min", "max", "cpu", "requests_per_target"];

/// A value with the byte range it came from.
#[derive(Debug, Clone)]
struct Sp<T> {
    v: T,
    span: Range<usize>,
}

/// A table being read: its dotted path, its span and its entries (`None`: absent).
struct Tbl<'a, 'i> {
    path: String,
    span: Range<usize>,
    map: Option<&'a DeTable<'i>>,
}

type Entry<'a, 'i> = (&'a Spanned<DeString<'i>>, &'a Spanned<DeValue<'i>>);

impl<'a, 'i> Tbl<'a, 'i> {
    fn get(&self, key: &str) -> Option<Entry<'a, 'i>> {
        self.map?.iter().find(|(k, _)| k.get_ref().as_ref() == key)
    }

    fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    fn field(&self, key: &str) -> String {
        join(&self.path, key)
    }

    fn entries(&self) -> impl Iterator<Item = Entry<'a, 'i>> + 'a {
        self.map.into_iter().flat_map(|m| m.iter())
    }
}

/// `path.key`, quoting keys that are not bare TOML keys.
fn join(path: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if path.is_empty() {
        key
    } else {
        format!("{path}.{key}")
    }
}

struct Cx<'t> {
    text: &'t str,
    problems: Vec<Problem>,
}

impl Cx<'_> {
    fn err(&mut self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) {
        self.problems
            .push(Problem::new(self.text, span, field.into(), message.into()));
    }

    /// Report keys of `t` that are not in `known`, suggesting the closest known key.
    fn check_keys(&mut self, t: &Tbl, known: &[&str]) {
        for (k, _) in t.entries() {
            let key: &str = k.get_ref();
            if known.contains(&key) {
                continue;
            }
            let where_ = if t.path.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in [{}]", t.path)
            };
            let msg = match closest(key, known) {
                Some(s) => format!("unknown field `{key}`, did you mean `{s}`?"),
                None => format!(
                    "unknown field `{key}`; valid fields {where_} are: {}",
                    known.join(", ")
                ),
            };
            self.err(k.span(), t.field(key), msg);
        }
    }

    fn type_err(&mut self, t: &Tbl, key: &str, v: &Spanned<DeValue>, expected: &str, eg: &str) {
        let found = v.get_ref().type_str();
        let msg = format!(
            "expected {expected}, found {} {found}; write e.g. {key} = {eg}",
            article(found)
        );
        self.err(v.span(), t.field(key), msg);
    }

    fn string(&mut self, t: &Tbl, key: &str, eg: &str) -> Option<Sp<String>> {
        let (_, v) = t.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(Sp {
                v: s.to_string(),
                span: v.span(),
            }),
            _ => {
                self.type_err(t, key, v, "a string", eg);
                None
            }
        }
    }

    fn boolean(&mut self, t: &Tbl, key: &str) -> Option<Sp<bool>> {
        let (_, v) = t.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(Sp {
                v: *b,
                span: v.span(),
            }),
            _ => {
                self.type_err(t, key, v, "true or false", "true");
                None
            }
        }
    }

    /// An integer field, as `u32` when it fits `lo..=hi`.
    fn int(&mut self, t: &Tbl, key: &str, lo: u32, hi: u32, why: &str, eg: u32) -> Option<Sp<u32>> {
        let (_, v) = t.get(key)?;
        let n = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            DeValue::String(s) if s.trim().parse::<i64>().is_ok() => {
                let msg = format!(
                    "expected a number, found the string \"{s}\"; drop the quotes: {key} = {}",
                    s.trim()
                );
                self.err(v.span(), t.field(key), msg);
                return None;
            }
            _ => {
                self.type_err(t, key, v, "a whole number", &eg.to_string());
                return None;
            }
        };
        match n {
            Some(n) if n >= i64::from(lo) && n <= i64::from(hi) => Some(Sp {
                v: n as u32,
                span: v.span(),
            }),
            _ => {
                let shown = n.map_or_else(|| "this number".to_string(), |n| n.to_string());
                let msg =
                    format!("{key} = {shown} is out of range: {why}; write e.g. {key} = {eg}");
                self.err(v.span(), t.field(key), msg);
                None
            }
        }
    }

    fn table<'a, 'i>(&mut self, t: &Tbl<'a, 'i>, key: &str, eg: &str) -> Option<Tbl<'a, 'i>> {
        let (k, v) = t.get(key)?;
        match v.get_ref() {
            DeValue::Table(map) => Some(Tbl {
                path: t.field(key),
                span: table_span(k, v),
                map: Some(map),
            }),
            _ => {
                self.type_err(t, key, v, "a table", eg);
                None
            }
        }
    }

    fn array<'a, 'i>(
        &mut self,
        t: &Tbl<'a, 'i>,
        key: &str,
        eg: &str,
    ) -> Option<Sp<&'a DeArray<'i>>> {
        let (_, v) = t.get(key)?;
        match v.get_ref() {
            DeValue::Array(a) => Some(Sp {
                v: a,
                span: v.span(),
            }),
            _ => {
                self.type_err(t, key, v, "a list", eg);
                None
            }
        }
    }

    /// Strings of an array; non-strings are reported.
    fn strings(&mut self, field: &str, arr: &DeArray, eg: &str) -> Vec<Sp<String>> {
        let mut out = Vec::new();
        for (i, v) in arr.iter().enumerate() {
            match v.get_ref() {
                DeValue::String(s) => out.push(Sp {
                    v: s.to_string(),
                    span: v.span(),
                }),
                other => {
                    let found = other.type_str();
                    self.err(
                        v.span(),
                        format!("{field}[{i}]"),
                        format!(
                            "expected a string, found {} {found}; write e.g. {eg}",
                            article(found)
                        ),
                    );
                }
            }
        }
        out
    }

    /// One of a fixed set of spellings.
    fn choice<T: Copy>(
        &mut self,
        sp: &Sp<String>,
        field: &str,
        what: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
        if let Some((_, v)) = options.iter().find(|(s, _)| *s == sp.v) {
            return Some(*v);
        }
        let names: Vec<&str> = options.iter().map(|(s, _)| *s).collect();
        let list = names
            .iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let msg = match closest(&sp.v, &names) {
            Some(s) => format!(
                "unknown {what} `{}`, did you mean `{s}`? Write one of {list}",
                sp.v
            ),
            None => format!("unknown {what} `{}`; write one of {list}", sp.v),
        };
        self.err(sp.span.clone(), field, msg);
        None
    }
}

/// The span a "missing field" problem in table `v` (reached through key `k`) points at.
/// Header tables (`[network]`) span from their header; inline tables span their braces.
fn table_span(k: &Spanned<DeString>, v: &Spanned<DeValue>) -> Range<usize> {
    let vs = v.span();
    if vs.is_empty() { k.span() } else { vs }
}

fn article(type_name: &str) -> &'static str {
    match type_name.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// Closest candidate by edit distance (case, `-` vs `_` and transpositions forgiven).
fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let norm = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    let w = norm(word);
    let limit = w.chars().count().div_ceil(3).max(1);
    candidates
        .iter()
        .map(|c| (osa_distance(&w, &norm(c)), *c))
        .filter(|(d, c)| {
            *d <= limit || (w.len() >= 3 && (norm(c).starts_with(&w) || w.starts_with(&norm(c))))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Parse and validate; see [`crate::parse`].
pub(crate) fn parse(file_name: &str, text: &str) -> Result<Manifest, SpecError> {
    let mut cx = Cx {
        text,
        problems: Vec::new(),
    };
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            let span = e.span().unwrap_or(0..0);
            let msg = format!(
                "TOML syntax error: {}; see https://toml.io for the syntax",
                e.message().trim()
            );
            cx.err(span, "toml", msg);
        }
        return Err(SpecError::new(file_name, text, cx.problems));
    }
    let manifest = manifest(&mut cx, root.get_ref());
    if cx.problems.is_empty() {
        Ok(manifest)
    } else {
        Err(SpecError::new(file_name, text, cx.problems))
    }
}

fn manifest(cx: &mut Cx, root: &DeTable) -> Manifest {
    let top = Tbl {
        path: String::new(),
        span: 0..0,
        map: Some(root),
    };
    cx.check_keys(&top, TOP_KEYS);

    let name = stack_name(cx, &top);
    let region = region(cx, &top);
    let tags = tags(cx, &top);

    let net_t = cx.table(&top, "network", "{ cidr = \"172.24.0.0/16\" }");
    let net_t = net_t.unwrap_or_else(|| absent("network"));
    let (network, nat_span) = network(cx, &net_t, region.as_deref());

    let cl_t = cx
        .table(&top, "cluster", "{ capacity = \"ec2\" }")
        .unwrap_or_else(|| absent("cluster"));
    let cluster = cluster(cx, &cl_t);

    let services = services(cx, &top, cluster.capacity);

    // Cross-field: without NAT, private tasks reach AWS only through endpoints.
    if network.nat == NatMode::None && !services.is_empty() {
        let needed = needed_endpoints(cluster.capacity, &services);
        let missing: Vec<&(Endpoint, String)> = needed
            .iter()
            .filter(|(e, _)| !network.endpoints.contains(e))
            .collect();
        if !missing.is_empty() {
            let mut all: Vec<Endpoint> = needed.iter().map(|(e, _)| *e).collect();
            all.extend(&network.endpoints);
            all.sort();
            all.dedup();
            let line = all
                .iter()
                .map(|e| format!("\"{e}\""))
                .collect::<Vec<_>>()
                .join(", ");
            let reasons = missing
                .iter()
                .map(|(e, why)| format!("\"{e}\" ({why})"))
                .collect::<Vec<_>>()
                .join(", ");
            cx.err(
                nat_span.unwrap_or(net_t.span.clone()),
                "network.nat",
                format!(
                    "nat = \"none\" leaves the private subnets no way to AWS but VPC endpoints, \
                     and {} missing: {reasons}; write endpoints = [{line}] or nat = \"single\"",
                    if missing.len() == 1 {
                        "this one is"
                    } else {
                        "these are"
                    }
                ),
            );
        }
    }

    Manifest {
        name,
        region,
        tags,
        network,
        cluster,
        services,
    }
}

/// The endpoints a stack with services needs when it has no NAT gateway, each with why,
/// in [`Endpoint`] order.
fn needed_endpoints(
    capacity: Capacity,
    services: &BTreeMap<String, Service>,
) -> Vec<(Endpoint, String)> {
    let mut out = vec![
        (Endpoint::S3, "ECR serves image layers from S3".to_string()),
        (
            Endpoint::Ecr,
            "tasks pull their images from ECR".to_string(),
        ),
        (
            Endpoint::Logs,
            "tasks send their logs to CloudWatch Logs".to_string(),
        ),
    ];
    if capacity == Capacity::Ec2 {
        out.push((
            Endpoint::Ecs,
            "the ECS agent on the EC2 instances must reach ECS".to_string(),
        ));
    }
    // The first service whose secrets use each store (secrets are valid ARNs by now).
    let user = |store: &str| {
        services.values().find(|s| {
            s.secrets
                .values()
                .any(|arn| arn.split(':').nth(2) == Some(store))
        })
    };
    if let Some(s) = user("ssm") {
        out.push((
            Endpoint::Ssm,
            format!(
                "[{}.secrets] names an SSM parameter",
                join("service", &s.name)
            ),
        ));
    }
    if let Some(s) = user("secretsmanager") {
        out.push((
            Endpoint::SecretsManager,
            format!(
                "[{}.secrets] names a Secrets Manager secret",
                join("service", &s.name)
            ),
        ));
    }
    out
}

fn absent(path: &str) -> Tbl<'static, 'static> {
    Tbl {
        path: path.to_string(),
        span: 0..0,
        map: None,
    }
}

fn stack_name(cx: &mut Cx, top: &Tbl) -> String {
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
    let problem = if n.is_empty() {
        Some("the stack name is empty".to_string())
    } else if n.chars().count() > 20 {
        Some(format!(
            "`{n}` is {} characters long: stack names are at most 20 (they prefix AWS resource \
             names that have tight length limits)",
            n.chars().count()
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
        let suggestion = suggest_name(n, 20);
        cx.err(
            name.span,
            "name",
            format!(
                "{p}; a stack name is 1-20 of a-z, 0-9 and `-`, starting with a letter; \
                 write e.g. name = \"{suggestion}\""
            ),
        );
    }
    name.v
}

/// A valid name close to `n`, for suggestions.
fn suggest_name(n: &str, max: usize) -> String {
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

fn is_region(r: &str) -> bool {
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

fn region(cx: &mut Cx, top: &Tbl) -> Option<String> {
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

fn tag_chars_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c))
}

fn tags(cx: &mut Cx, top: &Tbl) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(t) = cx.table(top, "tags", "{ team = \"platform\" }") else {
        return out;
    };
    let mut n = 0;
    for (k, v) in t.entries() {
        n += 1;
        let key: &str = k.get_ref();
        let field = t.field(key);
        let lower = key.to_ascii_lowercase();
        if lower.starts_with("berth:") || lower.starts_with("aws:") {
            cx.err(
                k.span(),
                &field,
                format!(
                    "tag key `{key}` uses a reserved prefix: `berth:` tags are how berth finds \
                     its resources and `aws:` tags belong to AWS; use another key, e.g. `team`"
                ),
            );
        } else if key == "Name" {
            cx.err(
                k.span(),
                &field,
                "berth sets the `Name` tag on every resource itself; remove it or use another key",
            );
        } else if key.is_empty() || key.chars().count() > 128 || !tag_chars_ok(key) {
            cx.err(
                k.span(),
                &field,
                format!(
                    "tag key `{key}` is not valid: AWS tag keys are 1-128 characters of letters, \
                     digits, spaces and _.:/=+-@; write e.g. team = \"platform\""
                ),
            );
        }
        match v.get_ref() {
            DeValue::String(s) => {
                if s.chars().count() > 256 || !tag_chars_ok(s) {
                    cx.err(
                        v.span(),
                        &field,
                        "tag value is not valid: AWS tag values are at most 256 characters of \
                         letters, digits, spaces and _.:/=+-@; shorten or simplify it",
                    );
                }
                out.insert(key.to_string(), s.to_string());
            }
            other => {
                let found = other.type_str();
                cx.err(
                    v.span(),
                    &field,
                    format!(
                        "tag values are strings, found {} {found}; put it in quotes, e.g. \
                         {} = \"...\"",
                        article(found),
                        join("", key)
                    ),
                );
            }
        }
    }
    if n > 40 {
        cx.err(
            t.span.clone(),
            "tags",
            format!(
                "{n} tags is too many: berth adds its own tags and AWS allows 50 per resource, \
                 so [tags] may hold at most 40; remove {}",
                n - 40
            ),
        );
    }
    out
}

const PRIVATE_RANGES: [(Ipv4Addr, u8); 3] = [
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
];

fn is_private(net: &Ipv4Net) -> bool {
    PRIVATE_RANGES.iter().any(|(a, p)| {
        Ipv4Net::new(*a, *p)
            .map(|r| r.contains(net))
            .unwrap_or(false)
    })
}

/// Parse a CIDR string; problems are reported under `field` with `key = "..."`
/// suggestions (just `"..."` when `key` is empty, for list elements).
fn cidr(
    cx: &mut Cx,
    sp: &Sp<String>,
    field: &str,
    key: &str,
    min_prefix: u8,
    max_prefix: u8,
    eg: &str,
) -> Option<Ipv4Net> {
    let write = |v: &dyn std::fmt::Display| {
        if key.is_empty() {
            format!("\"{v}\"")
        } else {
            format!("{key} = \"{v}\"")
        }
    };
    let s = sp.v.trim();
    let net: Ipv4Net = match s.parse() {
        Ok(n) => n,
        Err(_) => {
            let msg = if let Ok(addr) = s.parse::<Ipv4Addr>() {
                format!(
                    "`{s}` has no prefix length; write e.g. {}",
                    write(&format!("{addr}/{min_prefix}"))
                )
            } else {
                format!("`{s}` is not an IPv4 CIDR block; write e.g. {}", write(&eg))
            };
            cx.err(sp.span.clone(), field, msg);
            return None;
        }
    };
    let p = net.prefix_len();
    if p < min_prefix {
        let fixed = Ipv4Net::new(net.addr(), min_prefix)
            .map(|n| n.trunc().to_string())
            .unwrap_or_else(|_| eg.to_string());
        cx.err(
            sp.span.clone(),
            field,
            format!(
                "{net} is too large: berth supports /{min_prefix} to /{max_prefix}{}. \
                 Write e.g. {}",
                if min_prefix == 16 {
                    " (AWS allows at most /16 for a VPC or subnet)"
                } else {
                    ""
                },
                write(&fixed)
            ),
        );
        return None;
    }
    if p > max_prefix {
        let fixed = Ipv4Net::new(net.addr(), max_prefix)
            .map(|n| n.trunc().to_string())
            .unwrap_or_else(|_| eg.to_string());
        cx.err(
            sp.span.clone(),
            field,
            format!(
                "{net} is too small: berth supports /{min_prefix} to /{max_prefix}. \
                 Write e.g. {}",
                write(&fixed)
            ),
        );
        return None;
    }
    if net.trunc() != net {
        cx.err(
            sp.span.clone(),
            field,
            format!(
                "{net} has host bits set: the network address of this /{p} is {}. \
                 Write {}",
                net.network(),
                write(&net.trunc())
            ),
        );
        return None;
    }
    Some(net)
}

fn is_az_name(s: &str) -> bool {
    let Some(last) = s.chars().last() else {
        return false;
    };
    last.is_ascii_lowercase() && is_region(&s[..s.len() - 1])
}

fn is_dns_name(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// Returns the network and the span of `nat` (for cross-field problems).
fn network(cx: &mut Cx, t: &Tbl, region: Option<&str>) -> (Network, Option<Range<usize>>) {
    cx.check_keys(t, NETWORK_KEYS);
    let default_cidr: Ipv4Net = DEFAULT_CIDR.parse().expect("default CIDR is valid");

    // cidr
    let mut cidr_ok = true;
    let vpc = match cx.string(t, "cidr", "\"172.24.0.0/16\"") {
        Some(sp) => match cidr(cx, &sp, "network.cidr", "cidr", 16, 24, DEFAULT_CIDR) {
            Some(net) => {
                if is_private(&net) {
                    net
                } else {
                    cx.err(
                        sp.span.clone(),
                        "network.cidr",
                        format!(
                            "{net} is not a private address range: a VPC on public addresses \
                             would hide the real internet hosts that use them from your tasks. \
                             Use 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (RFC 1918); \
                             write e.g. cidr = \"{DEFAULT_CIDR}\""
                        ),
                    );
                    cidr_ok = false;
                    default_cidr
                }
            }
            None => {
                cidr_ok = false;
                default_cidr
            }
        },
        None => {
            cidr_ok = !t.has("cidr");
            default_cidr
        }
    };

    let allow_overlap = cx.boolean(t, "allow_overlap").is_some_and(|b| b.v);

    // azs
    let before = cx.problems.len();
    let azs = azs(cx, t, region);
    let azs_ok = cx.problems.len() == before;

    // nat
    let nat_sp = cx.string(t, "nat", "\"single\"");
    let nat = nat_sp
        .as_ref()
        .and_then(|sp| {
            cx.choice(
                sp,
                "network.nat",
                "nat mode",
                &[
                    ("single", NatMode::Single),
                    ("per-az", NatMode::PerAz),
                    ("none", NatMode::None),
                ],
            )
        })
        .unwrap_or(NatMode::Single);
    let nat_span = nat_sp.map(|s| s.span);

    // private_zone
    let private_zone = match cx.string(t, "private_zone", "\"myorg.local\"") {
        None => Some(DEFAULT_PRIVATE_ZONE.to_string()),
        Some(sp) if sp.v.is_empty() => None,
        Some(sp) => {
            if !is_dns_name(&sp.v) {
                let fixed = sp.v.trim().trim_end_matches('.').to_ascii_lowercase();
                let hint = if is_dns_name(&fixed) {
                    format!("write private_zone = \"{fixed}\"")
                } else {
                    "write e.g. private_zone = \"myorg.local\", or \"\" for no zone".to_string()
                };
                cx.err(
                    sp.span.clone(),
                    "network.private_zone",
                    format!(
                        "`{}` is not a DNS zone name: labels of a-z, 0-9 and `-` (not at either \
                         end), 1-63 characters, joined by dots, no trailing dot; {hint}",
                        sp.v
                    ),
                );
            }
            Some(sp.v)
        }
    };

    // endpoints
    let mut endpoints: Vec<Endpoint> = Vec::new();
    let known: Vec<(&str, Endpoint)> = Endpoint::ALL.iter().map(|e| (e.as_str(), *e)).collect();
    if let Some(arr) = cx.array(t, "endpoints", "[\"s3\", \"ecr\", \"logs\"]") {
        for (i, sp) in cx
            .strings("network.endpoints", arr.v, "\"s3\"")
            .into_iter()
            .enumerate()
        {
            let field = format!("network.endpoints[{i}]");
            let Some(e) = cx.choice(&sp, &field, "endpoint", &known) else {
                continue;
            };
            if endpoints.contains(&e) {
                cx.err(
                    sp.span,
                    field,
                    format!("duplicate endpoint `{e}`; list each endpoint once"),
                );
            } else {
                endpoints.push(e);
            }
        }
    }

    // subnets
    let n = azs.count();
    let pub_arr = cx.array(
        t,
        "public_subnets",
        "[\"172.24.2.0/24\", \"172.24.3.0/24\"]",
    );
    let priv_arr = cx.array(
        t,
        "private_subnets",
        "[\"172.24.0.0/24\", \"172.24.1.0/24\"]",
    );
    let (derived_priv, derived_pub) = derive_subnets(vpc, n);
    let (private_subnets, public_subnets) = match (priv_arr, pub_arr) {
        (None, None) => (derived_priv, derived_pub),
        (Some(one), None) | (None, Some(one)) => {
            let (set, unset) = if t.has("private_subnets") {
                ("private_subnets", "public_subnets")
            } else {
                ("public_subnets", "private_subnets")
            };
            // A present key of the wrong type is already reported; only flag a lone list.
            if !t.has(unset) {
                cx.err(
                    one.span,
                    format!("network.{set}"),
                    format!(
                        "{set} is set but {unset} is not: list both (one subnet per AZ each), \
                         or neither to let berth derive them from the VPC CIDR"
                    ),
                );
            }
            (derived_priv, derived_pub)
        }
        (Some(pv), Some(pb)) => {
            let mut seen: Vec<(String, Ipv4Net)> = Vec::new();
            let private = subnet_list(
                cx,
                "private_subnets",
                &pv,
                (n, azs_ok),
                vpc,
                cidr_ok,
                &mut seen,
            );
            let public = subnet_list(
                cx,
                "public_subnets",
                &pb,
                (n, azs_ok),
                vpc,
                cidr_ok,
                &mut seen,
            );
            (private, public)
        }
    };

    (
        Network {
            cidr: vpc,
            azs,
            nat,
            private_zone,
            allow_overlap,
            endpoints,
            public_subnets,
            private_subnets,
        },
        nat_span,
    )
}

/// Default subnets: blocks of `/min(vpc_prefix + 8, 28)`; private `i` = block `i`,
/// public `i` = block `azs + i`. Returns (private, public).
pub(crate) fn derive_subnets(vpc: Ipv4Net, azs: usize) -> (Vec<Ipv4Net>, Vec<Ipv4Net>) {
    let new_prefix = (vpc.prefix_len() + 8).min(28);
    let Ok(mut blocks) = vpc.subnets(new_prefix) else {
        return (Vec::new(), Vec::new());
    };
    let private: Vec<Ipv4Net> = blocks.by_ref().take(azs).collect();
    let public: Vec<Ipv4Net> = blocks.take(azs).collect();
    (private, public)
}

fn subnet_list(
    cx: &mut Cx,
    key: &str,
    arr: &Sp<&DeArray>,
    (azs, azs_ok): (usize, bool),
    vpc: Ipv4Net,
    cidr_ok: bool,
    seen: &mut Vec<(String, Ipv4Net)>,
) -> Vec<Ipv4Net> {
    let field = format!("network.{key}");
    // With a bad `azs` the count is unknown: don't report a mismatch against a guess.
    if azs_ok && arr.v.len() != azs {
        cx.err(
            arr.span.clone(),
            &field,
            format!(
                "{} subnet{} listed for {azs} availability zone{}: list exactly one subnet per AZ",
                arr.v.len(),
                if arr.v.len() == 1 { "" } else { "s" },
                if azs == 1 { "" } else { "s" },
            ),
        );
    }
    let mut out = Vec::new();
    for (i, sp) in cx
        .strings(&field, arr.v, "\"172.24.0.0/24\"")
        .into_iter()
        .enumerate()
    {
        let f = format!("{field}[{i}]");
        let Some(net) = cidr(cx, &sp, &f, "", 16, 28, "172.24.0.0/24") else {
            continue;
        };
        if cidr_ok && !vpc.contains(&net) {
            cx.err(
                sp.span.clone(),
                &f,
                format!(
                    "subnet {net} is outside the VPC {vpc}: every subnet must be inside \
                     network.cidr; pick a block inside {vpc}"
                ),
            );
        } else if let Some((other, o)) = seen
            .iter()
            .find(|(_, o)| o.contains(&net) || net.contains(o))
        {
            cx.err(
                sp.span.clone(),
                &f,
                format!(
                    "subnet {net} overlaps {other} ({o}): subnets must not share addresses; \
                     pick a separate block"
                ),
            );
        }
        seen.push((f, net));
        out.push(net);
    }
    out
}

fn azs(cx: &mut Cx, t: &Tbl, region: Option<&str>) -> Azs {
    let Some((_, v)) = t.get("azs") else {
        return Azs::Count(2);
    };
    match v.get_ref() {
        DeValue::Integer(_) => {
            match cx.int(t, "azs", 1, 6, "berth spans 1 to 6 availability zones", 2) {
                Some(n) => Azs::Count(n.v as u8),
                None => Azs::Count(2),
            }
        }
        DeValue::Array(arr) => {
            let names = cx.strings("network.azs", arr, "\"eu-west-2a\"");
            if arr.is_empty() || arr.len() > 6 {
                cx.err(
                    v.span(),
                    "network.azs",
                    format!(
                        "{} availability zones listed: berth spans 1 to 6; write e.g. \
                         azs = [\"eu-west-2a\", \"eu-west-2b\"]",
                        arr.len()
                    ),
                );
            }
            let mut out: Vec<String> = Vec::new();
            for (i, sp) in names.into_iter().enumerate() {
                let field = format!("network.azs[{i}]");
                let shape_ok = match region {
                    Some(r) => {
                        sp.v.len() == r.len() + 1
                            && sp.v.starts_with(r)
                            && sp.v.ends_with(|c: char| c.is_ascii_lowercase())
                    }
                    None => is_az_name(&sp.v),
                };
                if !shape_ok {
                    let msg = match region {
                        Some(r) => format!(
                            "`{}` is not an availability zone of region {r}: zones are the \
                             region name plus a letter; write e.g. \"{r}a\"",
                            sp.v
                        ),
                        None => format!(
                            "`{}` is not an availability zone name (a region name plus a \
                             letter); write e.g. \"eu-west-2a\"",
                            sp.v
                        ),
                    };
                    cx.err(sp.span.clone(), field, msg);
                } else if out.contains(&sp.v) {
                    cx.err(
                        sp.span.clone(),
                        field,
                        format!(
                            "duplicate availability zone `{}`; list each zone once",
                            sp.v
                        ),
                    );
                    continue;
                }
                out.push(sp.v);
            }
            if out.is_empty() {
                Azs::Count(2)
            } else {
                Azs::Names(out)
            }
        }
        _ => {
            cx.type_err(
                t,
                "azs",
                v,
                "a number of zones or a list of zone names",
                "2 or azs = [\"eu-west-2a\", \"eu-west-2b\"]",
            );
            Azs::Count(2)
        }
    }
}

fn is_instance_type(s: &str) -> bool {
    let Some((family, size)) = s.split_once('.') else {
        return false;
    };
    family.starts_with(|c: char| c.is_ascii_lowercase())
        && family
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !size.is_empty()
        && size
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn cluster(cx: &mut Cx, t: &Tbl) -> Cluster {
    cx.check_keys(t, CLUSTER_KEYS);
    let capacity = cx
        .string(t, "capacity", "\"ec2\"")
        .and_then(|sp| {
            cx.choice(
                &sp,
                "cluster.capacity",
                "capacity",
                &[
                    ("ec2", Capacity::Ec2),
                    ("fargate", Capacity::Fargate),
                    ("fargate-spot", Capacity::FargateSpot),
                ],
            )
        })
        .unwrap_or(Capacity::Ec2);
    let fargate = capacity.is_fargate();

    // EC2-only settings make no sense with Fargate: say so rather than ignore them.
    if fargate {
        for key in ["instance_type", "min", "max", "desired", "ssh_key"] {
            if let Some((k, _)) = t.get(key) {
                cx.err(
                    k.span(),
                    t.field(key),
                    format!(
                        "{key} applies to EC2 capacity only: with capacity = \"{capacity}\" \
                         there are no instances to configure; remove it or write \
                         capacity = \"ec2\""
                    ),
                );
            }
        }
    }

    let instance_type = match cx.string(t, "instance_type", "\"t3.small\"") {
        None => DEFAULT_INSTANCE_TYPE.to_string(),
        Some(sp) => {
            if !fargate && !is_instance_type(&sp.v) {
                let lower = sp.v.trim().to_ascii_lowercase();
                let hint = if is_instance_type(&lower) {
                    format!("write instance_type = \"{lower}\"")
                } else {
                    "write e.g. instance_type = \"t3.small\"".to_string()
                };
                cx.err(
                    sp.span.clone(),
                    "cluster.instance_type",
                    format!(
                        "`{}` is not an EC2 instance type (family.size, like t3.small or \
                         m7g.large); {hint}",
                        sp.v
                    ),
                );
            }
            sp.v
        }
    };

    let why = "the Auto Scaling group holds 0 to 100 instances";
    let min = cx.int(t, "min", 0, 100, why, 1);
    let max = cx.int(t, "max", 0, 100, why, 3);
    let desired = cx.int(t, "desired", 0, 100, why, 1);
    let bad = |k: &str| t.has(k);
    let (min_v, max_v, desired_v) = (
        min.as_ref().map_or(1, |s| s.v),
        max.as_ref().map_or(3, |s| s.v),
        desired.as_ref().map_or(1, |s| s.v),
    );
    // Only compare sizes that were read successfully (or defaulted), and only for EC2.
    let all_read = ["min", "max", "desired"]
        .iter()
        .zip([min.is_some(), max.is_some(), desired.is_some()])
        .all(|(k, ok)| ok || !bad(k));
    if !fargate && all_read {
        let span_of = |s: &Option<Sp<u32>>| s.as_ref().map(|s| s.span.clone());
        if min_v > max_v {
            let span = span_of(&min).or(span_of(&max)).unwrap_or(t.span.clone());
            cx.err(
                span,
                "cluster.min",
                format!(
                    "min = {min_v} is greater than max = {max_v}; write e.g. min = {max_v} \
                     or max = {min_v}"
                ),
            );
        } else if desired_v < min_v || desired_v > max_v {
            let span = span_of(&desired)
                .or(span_of(&min))
                .or(span_of(&max))
                .unwrap_or(t.span.clone());
            cx.err(
                span,
                "cluster.desired",
                format!(
                    "desired = {desired_v} is outside min = {min_v} to max = {max_v}; \
                     write e.g. desired = {}",
                    desired_v.clamp(min_v, max_v)
                ),
            );
        }
    }

    let ssh_key = match cx.string(t, "ssh_key", "\"my-key\"") {
        Some(sp) if !sp.v.is_empty() => {
            if sp.v.len() > 255 || !sp.v.is_ascii() {
                cx.err(
                    sp.span.clone(),
                    "cluster.ssh_key",
                    "EC2 key pair names are 1-255 ASCII characters; write the name of an \
                     existing key pair, or \"\" for none (SSM Session Manager needs no key)",
                );
            }
            Some(sp.v)
        }
        _ => None,
    };

    Cluster {
        capacity,
        instance_type,
        min: min_v,
        max: max_v,
        desired: desired_v,
        ssh_key,
    }
}

fn is_service_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 20
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Docker image reference: `[registry[:port]/]repo[/repo...][:tag][@sha256:<64 hex>]`.
fn image_problem(s: &str) -> Option<String> {
    if s.is_empty() {
        return Some("the image reference is empty".into());
    }
    if s.chars().any(char::is_whitespace) {
        return Some("image references cannot contain spaces".into());
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest {
        let ok = d.strip_prefix("sha256:").is_some_and(|h| {
            h.len() == 64
                && h.chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        });
        if !ok {
            return Some(format!(
                "digest `{d}` is not sha256: followed by 64 lowercase hex digits"
            ));
        }
    }
    // The tag is after the last ':' that comes after the last '/'.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        let ok = !tag.is_empty()
            && tag.len() <= 128
            && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && tag
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok {
            return Some(format!(
                "tag `{tag}` is not valid: 1-128 of letters, digits, `_`, `.` and `-`, not \
                 starting with `.` or `-`"
            ));
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    // A first component with '.' or ':' or equal to "localhost" is a registry host.
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        let host = parts.remove(0);
        let (h, port) = match host.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host, None),
        };
        let host_ok = !h.is_empty()
            && h.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        let port_ok = port.is_none_or(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if !host_ok || !port_ok {
            return Some(format!("registry `{host}` is not a host name[:port]"));
        }
    }
    for comp in &parts {
        let ok = !comp.is_empty()
            && comp.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && comp.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && comp
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if !ok {
            return Some(format!(
                "repository `{name}` is not valid: path components are lowercase letters, \
                 digits and separators (`.`, `_`, `-`)"
            ));
        }
    }
    None
}

/// Valid memory values (MiB) for a Fargate task of `cpu` units.
pub(crate) fn fargate_memory(cpu: u32) -> Option<Vec<u32>> {
    let (lo, hi, step) = match cpu {
        256 => return Some(vec![512, 1024, 2048]),
        512 => (1024, 4096, 1024),
        1024 => (2048, 8192, 1024),
        2048 => (4096, 16384, 1024),
        4096 => (8192, 30720, 1024),
        8192 => (16384, 61440, 4096),
        16384 => (32768, 122880, 8192),
        _ => return None,
    };
    Some((lo..=hi).step_by(step).collect())
}

fn services(cx: &mut Cx, top: &Tbl, capacity: Capacity) -> BTreeMap<String, Service> {
    let mut out = BTreeMap::new();
    let Some(st) = cx.table(top, "service", "{ hello = { image = \"hello:latest\" } }") else {
        return out;
    };
    // Public services by normalised path, for the duplicate check.
    let mut public_paths: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in st.entries() {
        let name: &str = k.get_ref();
        let field = st.field(name);
        let DeValue::Table(map) = v.get_ref() else {
            let found = v.get_ref().type_str();
            cx.err(
                v.span(),
                &field,
                format!(
                    "expected a [service.{name}] table, found {} {found}; write e.g. \
                     [service.hello] with image = \"hello:latest\" below it",
                    article(found)
                ),
            );
            continue;
        };
        if !is_service_name(name) {
            cx.err(
                k.span(),
                &field,
                format!(
                    "`{name}` is not a valid service name: 1-20 of a-z, 0-9 and `-`, starting \
                     with a letter and not ending with `-` (it becomes a DNS name); write e.g. \
                     [service.{}]",
                    suggest_name(name, 20)
                ),
            );
        }
        let t = Tbl {
            path: field,
            span: table_span(k, v),
            map: Some(map),
        };
        let svc = service(cx, &t, name, capacity, &mut public_paths);
        out.insert(name.to_string(), svc);
    }
    out
}

fn service(
    cx: &mut Cx,
    t: &Tbl,
    name: &str,
    capacity: Capacity,
    public_paths: &mut BTreeMap<String, String>,
) -> Service {
    cx.check_keys(t, SERVICE_KEYS);
    let f = |k: &str| t.field(k);

    let image = cx.string(t, "image", "\"hello:latest\"").map(|sp| {
        if let Some(p) = image_problem(&sp.v) {
            cx.err(
                sp.span.clone(),
                f("image"),
                format!(
                    "`{}` is not a valid image reference: {p}; write e.g. image = \
                     \"hello:latest\" or \"123456789012.dkr.ecr.eu-west-2.amazonaws.com/hello:1.0\"",
                    sp.v
                ),
            );
        }
        sp.v
    });

    let port = cx
        .int(t, "port", 1, 65535, "ports are 1 to 65535", 8080)
        .map_or(8080, |s| s.v as u16);

    // cpu / memory
    let fargate = capacity.is_fargate();
    let (cpu_lo, cpu_hi) = if fargate { (256, 16384) } else { (128, 10240) };
    let cpu_why = if fargate {
        "Fargate tasks have 256 to 16384 CPU units (1024 = 1 vCPU)".to_string()
    } else {
        "EC2 tasks have 128 to 10240 CPU units (1024 = 1 vCPU)".to_string()
    };
    let cpu = cx.int(t, "cpu", cpu_lo, cpu_hi, &cpu_why, 256);
    let mem_lo = if fargate { 512 } else { 6 };
    let mem_why = if fargate {
        "Fargate tasks have 512 to 122880 MiB".to_string()
    } else {
        "ECS needs at least 6 MiB for a container".to_string()
    };
    let memory = cx.int(t, "memory", mem_lo, 122_880.max(mem_lo), &mem_why, 512);
    let cpu_v = cpu.as_ref().map_or(256, |s| s.v);
    let mem_v = memory.as_ref().map_or(512, |s| s.v);
    let cpu_read = cpu.is_some() || !t.has("cpu");
    let mem_read = memory.is_some() || !t.has("memory");
    if fargate && cpu_read {
        match fargate_memory(cpu_v) {
            None => {
                let span = cpu.as_ref().map_or(t.span.clone(), |s| s.span.clone());
                cx.err(
                    span,
                    f("cpu"),
                    format!(
                        "Fargate has no {cpu_v}-unit task size: cpu must be one of 256, 512, \
                         1024, 2048, 4096, 8192, 16384; write e.g. cpu = 256"
                    ),
                );
            }
            Some(valid) if mem_read && !valid.contains(&mem_v) => {
                let span = memory
                    .as_ref()
                    .or(cpu.as_ref())
                    .map_or(t.span.clone(), |s| s.span.clone());
                let list = valid
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                cx.err(
                    span,
                    f("memory"),
                    format!(
                        "Fargate has no task with cpu = {cpu_v} and memory = {mem_v}: with \
                         cpu = {cpu_v}, memory (MiB) must be one of {list}; write e.g. \
                         memory = {}",
                        valid[0]
                    ),
                );
            }
            Some(_) => {}
        }
    }

    let count = cx.int(t, "count", 0, 1000, "a service runs 0 to 1000 tasks", 2);
    let count_v = count.as_ref().map_or(2, |s| s.v);

    let health_check = url_path(cx, t, "health_check", "/healthz");
    let public = cx.boolean(t, "public").is_none_or(|b| b.v);
    let path = url_path(cx, t, "path", "/");
    if public {
        let norm = {
            let s = path.0.trim_end_matches('/');
            if s.is_empty() {
                "/".to_string()
            } else {
                s.to_string()
            }
        };
        if let Some(other) = public_paths.get(&norm) {
            let span = path.1.clone().unwrap_or(t.span.clone());
            cx.err(
                span,
                f("path"),
                format!(
                    "path `{}` is already used by public service `{other}`: two public services \
                     cannot share a load balancer path; write e.g. path = \"/{name}\"",
                    path.0
                ),
            );
        } else {
            public_paths.insert(norm, name.to_string());
        }
    }

    let env = variables(cx, t, Vars::Env);
    let secrets = variables(cx, t, Vars::Secrets);
    if let Some(both) = env.keys().find(|k| secrets.contains_key(*k))
        && let Some(et) = cx.table(t, "secrets", "")
    {
        cx.err(
            et.span.clone(),
            et.field(both),
            format!("`{both}` is in both [env] and [secrets]; keep it in one of them"),
        );
    }
    let autoscaling = autoscaling(
        cx,
        t,
        public,
        count_v,
        count.as_ref().map(|c| c.span.clone()),
    );

    Service {
        name: name.to_string(),
        image,
        port,
        cpu: cpu_v,
        memory: mem_v,
        count: count_v,
        health_check: health_check.0,
        public,
        path: path.0,
        env,
        secrets,
        autoscaling,
    }
}

/// A URL path field (`/...`, no spaces); returns the value (defaulted) and its span
/// when set explicitly.
fn url_path(cx: &mut Cx, t: &Tbl, key: &str, default: &str) -> (String, Option<Range<usize>>) {
    let Some(sp) = cx.string(t, key, &format!("\"{default}\"")) else {
        return (default.to_string(), None);
    };
    if !sp.v.starts_with('/') || sp.v.chars().any(char::is_whitespace) || sp.v.len() > 1024 {
        let fixed: String = sp.v.trim().chars().filter(|c| !c.is_whitespace()).collect();
        let fixed = if fixed.starts_with('/') {
            fixed
        } else {
            format!("/{fixed}")
        };
        cx.err(
            sp.span.clone(),
            t.field(key),
            format!(
                "`{}` is not a URL path: it must start with `/` and contain no spaces; \
                 write {key} = \"{fixed}\"",
                sp.v
            ),
        );
    }
    (sp.v, Some(sp.span))
}

/// What a service's container gets in its environment: plain values (`env`), or secrets
/// (`secrets`: ARNs that ECS resolves when the task starts, so no value is ever in the task
/// definition).
#[derive(Clone, Copy, PartialEq)]
enum Vars {
    Env,
    Secrets,
}

fn variables(cx: &mut Cx, t: &Tbl, vars: Vars) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let (key, eg) = match vars {
        Vars::Env => ("env", "{ RUST_LOG = \"info\" }"),
        Vars::Secrets => (
            "secrets",
            "{ DB_PASSWORD = \"arn:aws:ssm:eu-west-2:123456789012:parameter/db/password\" }",
        ),
    };
    let Some(et) = cx.table(t, key, eg) else {
        return out;
    };
    for (k, v) in et.entries() {
        let key: &str = k.get_ref();
        let field = et.field(key);
        let valid = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let upper = key.to_ascii_uppercase();
        if !valid {
            let fixed: String = key
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_uppercase()
                    } else {
                        '_'
                    }
                })
                .collect();
            cx.err(
                k.span(),
                &field,
                format!(
                    "`{key}` is not a valid environment variable name: letters, digits and \
                     `_`, not starting with a digit; write e.g. {}",
                    if fixed.starts_with(|c: char| c.is_ascii_digit()) {
                        format!("_{fixed}")
                    } else {
                        fixed
                    }
                ),
            );
        } else if upper == "PORT" {
            cx.err(
                k.span(),
                &field,
                "berth sets PORT itself from the service's `port`; remove it and write \
                 port = ... instead",
            );
        } else if vars == Vars::Secrets {
            // Checked below, with the value.
        } else if let Some(word) = ["SECRET", "PASSWORD", "TOKEN", "KEY"]
            .into_iter()
            .find(|w| upper.contains(w))
        {
            cx.err(
                k.span(),
                &field,
                format!(
                    "`{key}` looks like a secret (its name contains {word}): plain env vars are \
                     stored in plaintext in the ECS task definition, readable by anyone who can \
                     describe it; keep the value in SSM Parameter Store or Secrets Manager and \
                     move this entry to [secrets] as {key} = \"arn:aws:ssm:REGION:ACCOUNT:parameter/NAME\""
                ),
            );
        }
        match v.get_ref() {
            DeValue::String(s) if vars == Vars::Secrets && !is_secret_arn(s) => {
                cx.err(
                    v.span(),
                    &field,
                    format!(
                        "`{s}` is not the ARN of an SSM parameter or a Secrets Manager secret; \
                         write e.g. {key} = \"arn:aws:ssm:eu-west-2:123456789012:parameter/app/{}\" \
                         or \"arn:aws:secretsmanager:eu-west-2:123456789012:secret:app/db-AbCdEf\"",
                        key.to_ascii_lowercase()
                    ),
                );
            }
            DeValue::String(s) => {
                out.insert(key.to_string(), s.to_string());
            }
            other => {
                let found = other.type_str();
                let shown = &cx.text[v.span()];
                cx.err(
                    v.span(),
                    &field,
                    format!(
                        "environment values are strings, found {} {found}; put it in quotes: \
                         {key} = \"{}\"",
                        article(found),
                        shown.trim_matches('"')
                    ),
                );
            }
        }
    }
    out
}

/// `arn:<partition>:ssm:<region>:<account>:parameter/...` or
/// `arn:<partition>:secretsmanager:<region>:<account>:secret:...`.
fn is_secret_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    let account_ok = account.len() == 12 && account.chars().all(|c| c.is_ascii_digit());
    let resource_ok = match service {
        "ssm" => resource.starts_with("parameter/") && resource.len() > "parameter/".len(),
        "secretsmanager" => resource.starts_with("secret:") && resource.len() > "secret:".len(),
        _ => false,
    };
    prefix == "arn"
        && partition.starts_with("aws")
        && !region.is_empty()
        && account_ok
        && resource_ok
}

fn autoscaling(
    cx: &mut Cx,
    st: &Tbl,
    public: bool,
    count: u32,
    count_span: Option<Range<usize>>,
) -> Option<Autoscaling> {
    let t = cx.table(st, "autoscaling", "{ min = 2, max = 6, cpu = 60 }")?;
    cx.check_keys(&t, AUTOSCALING_KEYS);
    let why = "a service scales between 0 and 1000 tasks";
    let min = cx.int(&t, "min", 0, 1000, why, 2);
    let max = cx.int(&t, "max", 1, 1000, why, 6);
    for (key, v) in [("min", &min), ("max", &max)] {
        if !t.has(key) && v.is_none() {
            cx.err(
                t.span.clone(),
                t.field(key),
                format!(
                    "missing field `{key}` in [{}]: autoscaling needs both bounds; write e.g. \
                     min = 2 and max = 6",
                    t.path
                ),
            );
        }
    }
    let cpu = cx
        .int(
            &t,
            "cpu",
            1,
            100,
            "the CPU target is a percentage, 1 to 100",
            60,
        )
        .map(|s| s.v as u8);
    let rpt = cx.int(
        &t,
        "requests_per_target",
        1,
        u32::MAX,
        "the target is at least 1 request per task",
        1000,
    );
    if let Some(r) = &rpt
        && !public
    {
        cx.err(
            r.span.clone(),
            t.field("requests_per_target"),
            "requests_per_target needs the load balancer, and this service is not public; \
             remove it and scale on cpu, or write public = true",
        );
    }
    if !t.has("cpu") && !t.has("requests_per_target") {
        cx.err(
            t.span.clone(),
            t.path.clone(),
            "autoscaling has no target: set cpu (percent) and/or requests_per_target; \
             write e.g. cpu = 60",
        );
    }
    let (Some(min), Some(max)) = (min, max) else {
        return None;
    };
    if min.v > max.v {
        cx.err(
            min.span.clone(),
            t.field("min"),
            format!(
                "min = {} is greater than max = {}; write e.g. min = {} or max = {}",
                min.v, max.v, max.v, min.v
            ),
        );
    } else if (count_span.is_some() || !st.has("count")) && (count < min.v || count > max.v) {
        cx.err(
            count_span.unwrap_or(t.span.clone()),
            st.field("count"),
            format!(
                "count = {count} is outside the autoscaling range {} to {}; write e.g. \
                 count = {}",
                min.v,
                max.v,
                count.clamp(min.v, max.v)
            ),
        );
    }
    Some(Autoscaling {
        min: min.v,
        max: max.v,
        cpu,
        requests_per_target: rpt.map(|r| r.v),
    })
}
