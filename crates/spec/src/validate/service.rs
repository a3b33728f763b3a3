//! `[service.NAME]`: one ECS service. Its sub-tables are in [`super::env`] and
//! [`super::autoscaling`].

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::DeValue;

use super::autoscaling;
use super::env::{self, Vars};
use super::reader::{Cx, Tbl, article};
use super::stack::suggest_name;
use crate::types::{Capacity, Service};

/// The keys of `[service.NAME]`: [`Service`]'s fields but `name`, which is the table's own
/// key.
pub(super) const KEYS: &[&str] = &[
    "image",
    "port",
    "cpu",
    "memory",
    "count",
    "health_check",
    "public",
    "path",
    "hosts",
    "env",
    "secrets",
    "scratch",
    "autoscaling",
    "build",
    "release",
    "alarms",
    "tracing",
];

/// `[a-z][a-z0-9-]*`, at most 20 characters, no trailing `-`: it becomes a DNS name.
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

/// `[service]`: one `[service.NAME]` table per service, keyed by name.
pub(super) fn services(cx: &mut Cx, top: &Tbl, capacity: Capacity) -> BTreeMap<String, Service> {
    let mut out = BTreeMap::new();
    let Some(st) = cx.table(top, "service", "{ hello = { image = \"hello:latest\" } }") else {
        return out;
    };
    let mut claims = Claims::default();
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
        let svc = service(cx, st.child(k, v, map), name, capacity, &mut claims);
        out.insert(name.to_string(), svc);
    }
    out
}

/// What the public services read so far claim, each by the service that claimed it: no two
/// may have the same route (hosts and path), and a host belongs to one service.
#[derive(Default)]
struct Claims {
    routes: BTreeMap<String, String>,
    hosts: BTreeMap<String, String>,
}

/// One `[service.NAME]`.
fn service(cx: &mut Cx, t: Tbl, name: &str, capacity: Capacity, claims: &mut Claims) -> Service {
    let t = &cx.check_keys(t, KEYS);
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
    let hosts = hosts(cx, t, name, public, &mut claims.hosts);
    if public {
        let norm = {
            let s = path.0.trim_end_matches('/');
            if s.is_empty() {
                "/".to_string()
            } else {
                s.to_string()
            }
        };
        // Services on their own hosts may share a path with the others.
        let route = format!("{}|{norm}", hosts.join(","));
        if let Some(other) = claims.routes.get(&route) {
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
            claims.routes.insert(route, name.to_string());
        }
    }

    let env = env::variables(cx, t, Vars::Env);
    let secrets = env::variables(cx, t, Vars::Secrets);
    if let Some(both) = env.keys().find(|k| secrets.contains_key(*k))
        && let Some(et) = cx.table(t, "secrets", "")
    {
        cx.err(
            et.span.clone(),
            et.field(both),
            format!("`{both}` is in both [env] and [secrets]; keep it in one of them"),
        );
    }
    let scratch = scratch(cx, t);
    let build = build_dir(cx, t);
    let release = release(cx, t);
    let alarms = super::alarms::alarms(cx, t);
    let tracing = cx.boolean(t, "tracing").is_some_and(|b| b.v);
    let autoscaling = autoscaling::autoscaling(
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
        hosts,
        env,
        secrets,
        scratch,
        autoscaling,
        build,
        release,
        alarms,
        tracing,
    }
}

/// `build`: the folder holding the service's Dockerfile, for `berth deploy --build`.
fn build_dir(cx: &mut Cx, t: &Tbl) -> Option<String> {
    let sp = cx.string(t, "build", "\"./web\"")?;
    if sp.v.trim().is_empty() {
        cx.err(
            sp.span.clone(),
            t.field("build"),
            "`build` is empty; write the folder holding the Dockerfile, relative to this \
             file, e.g. build = \"./web\" (leave it out for this file's own folder)",
        );
    }
    Some(sp.v)
}

/// ECS's limit on a container override, the command included, is 8192 characters.
const MAX_RELEASE: usize = 4096;

/// `release`: the command run before each rollout, as an argument list (no shell).
fn release(cx: &mut Cx, t: &Tbl) -> Vec<String> {
    let eg = "release = [\"./migrate\", \"--yes\"]";
    let Some(arr) = cx.array(t, "release", eg) else {
        return vec![];
    };
    let field = t.field("release");
    let words = cx.strings(&field, arr.v, eg);
    let length: usize = words.iter().map(|w| w.v.len() + 1).sum();
    let why = if arr.v.is_empty() {
        Some("is empty: it would run nothing; leave `release` out for no release command")
    } else if words.first().is_some_and(|w| w.v.trim().is_empty()) {
        Some("starts with an empty program name")
    } else if length > MAX_RELEASE {
        Some("is longer than 4096 characters; put the steps in a script in the image")
    } else {
        None
    };
    if let Some(why) = why {
        cx.err(
            arr.span.clone(),
            &field,
            format!("the release command {why}; write e.g. {eg}"),
        );
    }
    words.into_iter().map(|w| w.v).collect()
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

/// What `scratch` holds when the manifest leaves it out: ordinary apps write to /tmp.
pub(crate) const DEFAULT_SCRATCH: &str = "/tmp";
/// ECS's limit on a task's volumes is higher; more scratch paths than this is a smell.
const MAX_SCRATCH: usize = 10;

/// `scratch`: writable directories on an otherwise read-only root filesystem.
fn scratch(cx: &mut Cx, t: &Tbl) -> Vec<String> {
    let eg = "scratch = [\"/tmp\", \"/var/cache/app\"]";
    let Some(arr) = cx.array(t, "scratch", eg) else {
        return if t.has("scratch") {
            vec![]
        } else {
            vec![DEFAULT_SCRATCH.to_string()]
        };
    };
    let field = t.field("scratch");
    if arr.v.len() > MAX_SCRATCH {
        cx.err(
            arr.span.clone(),
            &field,
            format!("at most {MAX_SCRATCH} scratch paths; mount a parent directory instead"),
        );
    }
    let mut paths: Vec<String> = Vec::new();
    for p in cx.strings(&field, arr.v, eg) {
        let why = if !p.v.starts_with('/') || p.v == "/" {
            Some("is not an absolute path below /")
        } else if p.v.ends_with('/') {
            Some("ends with `/`")
        } else if p.v.split('/').any(|seg| seg == ".." || seg == ".") {
            Some("has `.` or `..` in it")
        } else if !p
            .v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_.-".contains(c))
        {
            Some("has characters other than letters, digits and /_.-")
        } else if paths.contains(&p.v) {
            Some("is listed twice")
        } else {
            None
        };
        match why {
            Some(why) => cx.err(p.span, &field, format!("`{}` {why}; write e.g. {eg}", p.v)),
            None => paths.push(p.v),
        }
    }
    paths.sort();
    paths
}

/// `hosts`: the names a public service answers on (host-based routing); sorted.
fn hosts(
    cx: &mut Cx,
    t: &Tbl,
    name: &str,
    public: bool,
    claimed: &mut BTreeMap<String, String>,
) -> Vec<String> {
    let eg = "hosts = [\"api.example.com\"]";
    let Some(arr) = cx.array(t, "hosts", eg) else {
        return vec![];
    };
    let field = t.field("hosts");
    if !public {
        cx.err(
            arr.span.clone(),
            &field,
            "only a public service answers on hosts (through the load balancer); remove \
             `hosts` or set public = true",
        );
        return vec![];
    }
    let mut hosts = Vec::new();
    for h in cx.strings(&field, arr.v, eg) {
        if let Some(why) = super::tls::hostname_problem(&h.v) {
            cx.err(h.span, &field, format!("`{}` {why}; write e.g. {eg}", h.v));
        } else if let Some(other) = claimed.get(&h.v).filter(|o| *o != name) {
            cx.err(
                h.span,
                &field,
                format!(
                    "`{}` is already a host of service `{other}`: a host routes to one service",
                    h.v
                ),
            );
        } else if !hosts.contains(&h.v) {
            claimed.insert(h.v.clone(), name.to_string());
            hosts.push(h.v);
        }
    }
    hosts.sort();
    hosts
}
