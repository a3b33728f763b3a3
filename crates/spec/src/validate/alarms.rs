//! `[service.NAME.alarms]`: the thresholds of a service's alarms, which also gate its
//! deployments; and the top-level `alerts`, where the alarms are sent.

use super::reader::{Cx, Tbl};
use crate::types::{Alarms, Alerts};

/// The keys of `[service.NAME.alarms]`: exactly [`Alarms`]'s fields.
pub(super) const KEYS: &[&str] = &["errors_percent", "p99_ms", "cpu_percent", "memory_percent"];

/// `[service.NAME.alarms]` of service table `st`, every threshold defaulted.
pub(super) fn alarms(cx: &mut Cx, st: &Tbl) -> Alarms {
    let defaults = Alarms::default();
    let Some(t) = cx.table(st, "alarms", "{ errors_percent = 5, p99_ms = 2000 }") else {
        return defaults;
    };
    let t = cx.check_keys(t, KEYS);
    let percent = |cx: &mut Cx, key: &str, what: &str, default: u32| {
        cx.int(
            &t,
            key,
            1,
            100,
            &format!("{what} is a percentage, 1 to 100"),
            default,
        )
        .map_or(default as u8, |s| s.v as u8)
    };
    Alarms {
        errors_percent: percent(
            cx,
            "errors_percent",
            "the share of 5xx answers",
            defaults.errors_percent.into(),
        ),
        p99_ms: cx
            .int(
                &t,
                "p99_ms",
                10,
                600_000,
                "the p99 latency is 10 ms to 600000 ms (the load balancer's longest timeout)",
                defaults.p99_ms,
            )
            .map_or(defaults.p99_ms, |s| s.v),
        cpu_percent: percent(cx, "cpu_percent", "CPU", defaults.cpu_percent.into()),
        memory_percent: percent(
            cx,
            "memory_percent",
            "memory",
            defaults.memory_percent.into(),
        ),
    }
}

/// `alerts`: an e-mail address, or the ARN of an SNS topic in the stack's region.
pub(super) fn alerts(cx: &mut Cx, top: &Tbl, region: Option<&str>) -> Option<Alerts> {
    let eg = "\"ops@example.com\" or \"arn:aws:sns:eu-west-2:123456789012:ops\"";
    let sp = cx.string(top, "alerts", eg)?;
    if let Some(rest) = sp.v.strip_prefix("arn:aws:sns:") {
        let parts: Vec<&str> = rest.split(':').collect();
        let shape_ok = parts.len() == 3
            && parts[1].len() == 12
            && parts[1].chars().all(|c| c.is_ascii_digit())
            && !parts[2].is_empty();
        if !shape_ok {
            cx.err(
                sp.span.clone(),
                "alerts",
                format!(
                    "`{}` is not an SNS topic ARN; write e.g. alerts = {eg}",
                    sp.v
                ),
            );
        } else if region.is_some_and(|r| r != parts[0]) {
            cx.err(
                sp.span.clone(),
                "alerts",
                format!(
                    "the topic is in {}, but CloudWatch alarms can only notify a topic in \
                     their own region ({}); use a topic there, or an e-mail address",
                    parts[0],
                    region.unwrap_or_default()
                ),
            );
        }
        return Some(Alerts::Topic(sp.v));
    }
    let email_ok = sp.v.split_once('@').is_some_and(|(user, domain)| {
        !user.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !sp.v.chars().any(char::is_whitespace)
    });
    if !email_ok {
        cx.err(
            sp.span.clone(),
            "alerts",
            format!(
                "`{}` is neither an e-mail address nor an SNS topic ARN; write e.g. alerts = {eg}",
                sp.v
            ),
        );
    }
    Some(Alerts::Email(sp.v))
}
