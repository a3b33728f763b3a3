//! `[service.NAME.env]` and `[service.NAME.secrets]`: what a container gets in its
//! environment. One set of rules for both, as they differ only in what a value is.

use std::collections::BTreeMap;

use toml::de::DeValue;

use super::reader::{Cx, Tbl, article};

/// What a service's container gets in its environment: plain values (`env`), or secrets
/// (`secrets`: ARNs that ECS resolves when the task starts, so no value is ever in the task
/// definition).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Vars {
    Env,
    Secrets,
}

/// `[service.NAME.env]` or `[service.NAME.secrets]` of service table `t`: free-form
/// variable names, so no `KEYS`.
pub(super) fn variables(cx: &mut Cx, t: &Tbl, vars: Vars) -> BTreeMap<String, String> {
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
