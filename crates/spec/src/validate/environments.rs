//! Environments: `[env.NAME]` tables whose keys override the rest of the manifest for one
//! stack, named `<name>-<NAME>`. The chosen table is merged into the document before any
//! rule runs, so every value keeps its own span: a bad value written under `[env.prod]` is
//! reported on its own line, and every rule applies to overrides exactly as to the base.
//!
//! Tables merge key by key (`[env.prod.service.web] count = 4` changes only that count,
//! a service only an environment names exists only there); any other value, arrays
//! included, replaces the base's whole.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::reader::Cx;

/// The top-level key that holds the environments.
pub(super) const KEY: &str = "env";

/// Longest environment name: with `-` and the shortest stack name it must still fit the
/// 20 characters of a stack name.
const MAX_LEN: usize = 12;

/// The environments `root` declares, sorted by name (empty when it has no `env` table).
pub(super) fn names(root: &DeTable) -> Vec<String> {
    match root.get(KEY).map(|v| v.get_ref()) {
        Some(DeValue::Table(envs)) => envs.keys().map(|k| k.get_ref().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// The document `env` describes: the base without its `env` table, with `[env.<env>]`
/// merged in (`None`: the base alone). Every environment table is checked, whichever is
/// chosen, so a mistake in `[env.prod]` shows up while working on staging.
pub(super) fn select<'i>(cx: &mut Cx, root: &DeTable<'i>, env: Option<&str>) -> DeTable<'i> {
    let mut doc = root.clone();
    let declared = doc.remove(KEY);
    let envs = match declared.as_ref().map(|v| (v.get_ref(), v.span())) {
        None => None,
        Some((DeValue::Table(envs), _)) => Some(envs),
        Some((_, span)) => {
            cx.err(
                span,
                KEY,
                "`env` holds one table per environment; write e.g. [env.staging] with the keys \
                 that differ from the rest of the file",
            );
            None
        }
    };
    for (name, overlay) in envs.into_iter().flatten() {
        check(
            cx,
            name.get_ref(),
            name.span(),
            overlay.get_ref(),
            overlay.span(),
        );
    }
    let Some(env) = env else {
        return doc;
    };
    let known: Vec<&str> = envs
        .into_iter()
        .flatten()
        .map(|(k, _)| k.get_ref().as_ref())
        .collect();
    match envs.and_then(|e| e.get(env)).map(|v| v.get_ref()) {
        Some(DeValue::Table(overlay)) => {
            let mut overlay = overlay.clone();
            // Refused by `check`.
            overlay.remove("name");
            overlay.remove(KEY);
            merge(&mut doc, &overlay)
        }
        Some(_) => {} // reported by `check`
        None if known.is_empty() => cx.err(
            0..0,
            KEY,
            format!(
                "environment `{env}` is not declared: this file has no environments; add an \
                 [env.{env}] table with the keys that differ, or unset --env / BERTH_ENV"
            ),
        ),
        None => cx.err(
            0..0,
            KEY,
            format!(
                "environment `{env}` is not declared: this file declares {}; pick one of them \
                 or add an [env.{env}] table",
                known.join(", ")
            ),
        ),
    }
    doc
}

/// One `[env.NAME]` table: a good name, a table, and nothing that cannot differ.
fn check(cx: &mut Cx, name: &str, name_span: Range<usize>, value: &DeValue, span: Range<usize>) {
    let field = format!("{KEY}.{name}");
    let shaped = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    if !shaped || name.len() > MAX_LEN {
        let suggestion = super::stack::suggest_name(name, MAX_LEN);
        cx.err(
            name_span,
            field.clone(),
            format!(
                "`{name}` is not an environment name: 1-{MAX_LEN} of a-z, 0-9 and `-`, starting \
                 with a letter (it ends the stack's name); write e.g. [env.{suggestion}]"
            ),
        );
    }
    let DeValue::Table(overlay) = value else {
        cx.err(
            span,
            field,
            format!(
                "an environment is a table of the keys that differ; write e.g. [env.{name}] \
                 and below it `cluster.instance_type = \"t3.large\"`"
            ),
        );
        return;
    };
    for (key, _) in overlay {
        let why = match key.get_ref().as_ref() {
            "name" => format!(
                "an environment cannot rename the stack: it is already named after it \
                 (`<name>-{name}`); remove this line"
            ),
            KEY => "environments do not nest; move these keys up into this table".to_string(),
            _ => continue,
        };
        cx.err(key.span(), format!("{field}.{}", key.get_ref()), why);
    }
}

/// `overlay` into `base`, table by table (inline tables too, so `env = { LOG = "warn" }`
/// changes one variable); any other value replaces the base's whole.
fn merge<'i>(base: &mut DeTable<'i>, overlay: &DeTable<'i>) {
    for (key, value) in overlay {
        if let (Some(DeValue::Table(into)), DeValue::Table(from)) = (
            base.get_mut(key.get_ref().as_ref()).map(|v| v.get_mut()),
            value.get_ref(),
        ) {
            merge(into, from);
            continue;
        }
        // Removed first so the key's span is the override's too.
        base.remove(key.get_ref().as_ref());
        base.insert(key.clone(), value.clone());
    }
}
