//! `[ci]`: the repository whose CI may deploy this stack, without long-lived keys.

use super::reader::{Cx, Tbl};
use crate::types::Ci;

/// The keys of `[ci]`: exactly [`Ci`]'s fields.
pub(super) const KEYS: &[&str] = &["github", "branch", "environment"];

/// `owner/repo` as GitHub allows them.
fn is_github_repo(s: &str) -> bool {
    let Some((owner, repo)) = s.split_once('/') else {
        return false;
    };
    let owner_ok = !owner.is_empty()
        && owner.len() <= 39
        && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !owner.starts_with('-');
    let repo_ok = !repo.is_empty()
        && repo.len() <= 100
        && repo
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    owner_ok && repo_ok
}

/// A value that goes into the token's `sub` claim as it is: no wildcards, no `:`.
fn plain(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || "*?:".contains(c))
}

/// `[ci]`, when present.
pub(super) fn ci(cx: &mut Cx, top: &Tbl) -> Option<Ci> {
    let t = cx.table(top, "ci", "{ github = \"org/repo\" }")?;
    let t = &cx.check_keys(t, KEYS);
    let Some(github) = cx.string(t, "github", "\"org/repo\"") else {
        if !t.has("github") {
            cx.err(
                t.span.clone(),
                "ci",
                "[ci] needs the repository whose workflows may deploy: write github = \"org/repo\"",
            );
        }
        return None;
    };
    if !is_github_repo(&github.v) {
        cx.err(
            github.span,
            t.field("github"),
            format!(
                "`{}` is not a GitHub repository: write it as owner/name, e.g. github = \"acme/shop\"",
                github.v
            ),
        );
        return None;
    }
    let mut plain_field = |key: &str, eg: &str| {
        let sp = cx.string(t, key, eg)?;
        if plain(&sp.v) {
            Some(sp)
        } else {
            cx.err(
                sp.span,
                t.field(key),
                format!("`{}` must be a plain name (no spaces, `*`, `?` or `:`); write e.g. {key} = {eg}", sp.v),
            );
            None
        }
    };
    let branch = plain_field("branch", "\"main\"");
    let environment = plain_field("environment", "\"production\"");
    if let (Some(_), Some(env)) = (&branch, &environment) {
        cx.err(
            env.span.clone(),
            t.field("environment"),
            "a workflow job's token names either its branch or its GitHub environment, not both: \
             keep one of `branch` and `environment`",
        );
        return None;
    }
    Some(Ci {
        github: github.v,
        branch: branch.map(|b| b.v),
        environment: environment.map(|e| e.v),
    })
}
