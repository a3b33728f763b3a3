//! `[service.NAME.autoscaling]`: target tracking on a service's task count.

use std::ops::Range;

use super::reader::{Cx, Tbl};
use crate::types::Autoscaling;

/// The keys of `[service.NAME.autoscaling]`: exactly [`Autoscaling`]'s fields.
pub(super) const KEYS: &[&str] = &["min", "max", "cpu", "requests_per_target"];

/// `[service.NAME.autoscaling]` of service table `st`, whose `count` (and its span, when
/// set) must lie within the bounds.
pub(super) fn autoscaling(
    cx: &mut Cx,
    st: &Tbl,
    public: bool,
    count: u32,
    count_span: Option<Range<usize>>,
) -> Option<Autoscaling> {
    let t = cx.table(st, "autoscaling", "{ min = 2, max = 6, cpu = 60 }")?;
    let t = cx.check_keys(t, KEYS);
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
