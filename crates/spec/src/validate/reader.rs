//! Reading a spanned TOML document generically, whatever the table: typed getters that
//! report a wrong type with an example of the right one, unknown-key detection with
//! typo suggestions, and the byte span of everything read so problems point at it.
//!
//! Nothing here knows berth's schema: the rules (the sibling modules) say which keys a
//! table has and what their values mean.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeString, DeTable, DeValue};

use crate::error::Problem;

/// A value with the byte range it came from.
#[derive(Debug, Clone)]
pub(super) struct Sp<T> {
    pub(super) v: T,
    pub(super) span: Range<usize>,
}

/// A table being read: its dotted path, its span and its entries (`None`: absent).
pub(super) struct Tbl<'a, 'i> {
    pub(super) path: String,
    pub(super) span: Range<usize>,
    map: Option<&'a DeTable<'i>>,
    /// The keys the table may hold, once [`Cx::check_keys`] has checked them. `None` for
    /// tables whose keys are the user's (`[tags]`, `[service]`, `env`).
    keys: Option<&'static [&'static str]>,
}

type Entry<'a, 'i> = (&'a Spanned<DeString<'i>>, &'a Spanned<DeValue<'i>>);

impl<'a, 'i> Tbl<'a, 'i> {
    /// The whole document.
    pub(super) fn root(map: &'a DeTable<'i>) -> Self {
        Tbl {
            path: String::new(),
            span: 0..0,
            map: Some(map),
            keys: None,
        }
    }

    /// A table the manifest leaves out: no entries, so every field takes its default.
    pub(super) fn absent(path: &str) -> Self {
        Tbl {
            path: path.to_string(),
            span: 0..0,
            map: None,
            keys: None,
        }
    }

    /// The table `map`, found in this one under key `k` with value `v`.
    pub(super) fn child(
        &self,
        k: &Spanned<DeString>,
        v: &Spanned<DeValue>,
        map: &'a DeTable<'i>,
    ) -> Self {
        Tbl {
            path: self.field(k.get_ref()),
            span: table_span(k, v),
            map: Some(map),
            keys: None,
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<Entry<'a, 'i>> {
        // A rule reading a key its table does not declare would never see the user's
        // value: `check_keys` has already reported it as unknown.
        debug_assert!(
            self.keys.is_none_or(|keys| keys.contains(&key)),
            "`{key}` is read from [{}] but missing from its KEYS",
            self.path
        );
        self.map?.iter().find(|(k, _)| k.get_ref().as_ref() == key)
    }

    pub(super) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub(super) fn field(&self, key: &str) -> String {
        join(&self.path, key)
    }

    pub(super) fn entries(&self) -> impl Iterator<Item = Entry<'a, 'i>> + 'a {
        self.map.into_iter().flat_map(|m| m.iter())
    }
}

/// `path.key`, quoting keys that are not bare TOML keys.
pub(super) fn join(path: &str, key: &str) -> String {
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

/// The text being validated and every problem found in it so far.
pub(super) struct Cx<'t> {
    pub(super) text: &'t str,
    pub(super) problems: Vec<Problem>,
}

impl Cx<'_> {
    pub(super) fn err(
        &mut self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.problems
            .push(Problem::new(self.text, span, field.into(), message.into()));
    }

    /// Report keys of `t` that are not in `keys`, suggesting the closest one, and return
    /// `t` knowing its keys (so reading an undeclared key trips a debug assertion).
    pub(super) fn check_keys<'a, 'i>(
        &mut self,
        t: Tbl<'a, 'i>,
        keys: &'static [&'static str],
    ) -> Tbl<'a, 'i> {
        for (k, _) in t.entries() {
            let key: &str = k.get_ref();
            if keys.contains(&key) {
                continue;
            }
            let where_ = if t.path.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in [{}]", t.path)
            };
            let msg = match closest(key, keys) {
                Some(s) => format!("unknown field `{key}`, did you mean `{s}`?"),
                None => format!(
                    "unknown field `{key}`; valid fields {where_} are: {}",
                    keys.join(", ")
                ),
            };
            self.err(k.span(), t.field(key), msg);
        }
        Tbl {
            keys: Some(keys),
            ..t
        }
    }

    pub(super) fn type_err(
        &mut self,
        t: &Tbl,
        key: &str,
        v: &Spanned<DeValue>,
        expected: &str,
        eg: &str,
    ) {
        let found = v.get_ref().type_str();
        let msg = format!(
            "expected {expected}, found {} {found}; write e.g. {key} = {eg}",
            article(found)
        );
        self.err(v.span(), t.field(key), msg);
    }

    pub(super) fn string(&mut self, t: &Tbl, key: &str, eg: &str) -> Option<Sp<String>> {
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

    pub(super) fn boolean(&mut self, t: &Tbl, key: &str) -> Option<Sp<bool>> {
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
    pub(super) fn int(
        &mut self,
        t: &Tbl,
        key: &str,
        lo: u32,
        hi: u32,
        why: &str,
        eg: u32,
    ) -> Option<Sp<u32>> {
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

    pub(super) fn table<'a, 'i>(
        &mut self,
        t: &Tbl<'a, 'i>,
        key: &str,
        eg: &str,
    ) -> Option<Tbl<'a, 'i>> {
        let (k, v) = t.get(key)?;
        match v.get_ref() {
            DeValue::Table(map) => Some(t.child(k, v, map)),
            _ => {
                self.type_err(t, key, v, "a table", eg);
                None
            }
        }
    }

    pub(super) fn array<'a, 'i>(
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
    pub(super) fn strings(&mut self, field: &str, arr: &DeArray, eg: &str) -> Vec<Sp<String>> {
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
    pub(super) fn choice<T: Copy>(
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

pub(super) fn article(type_name: &str) -> &'static str {
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
