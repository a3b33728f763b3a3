//! `[tags]`: the user's tags, added to every resource.

use std::collections::BTreeMap;

use toml::de::DeValue;

use super::reader::{Cx, Tbl, article, join};

/// Characters AWS accepts in tag keys and values.
fn tag_chars_ok(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c))
}

/// `[tags]`: free-form keys, so no `KEYS`; each key and value must be a valid AWS tag.
pub(super) fn tags(cx: &mut Cx, top: &Tbl) -> BTreeMap<String, String> {
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
