//! Validation problems: plain `file:line:col: field: message` lines, and a
//! [`miette::Diagnostic`] with one label per problem for fancy rendering.

use std::fmt;
use std::ops::Range;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use serde::Serialize;

/// One thing wrong with a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line of the offending key or value (line 1 when the whole file is at fault).
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Dotted path of the field, e.g. `network.cidr` or `service.hello.port`.
    pub field: String,
    /// What was wrong and what to write instead.
    pub message: String,
    /// Byte range in the source the problem points at (may be empty).
    pub span: Range<usize>,
}

impl Problem {
    pub(crate) fn new(text: &str, span: Range<usize>, field: String, message: String) -> Self {
        let start = span.start.min(text.len());
        let (line, column) = line_col(text, start);
        let end = span.end.clamp(start, text.len());
        Problem {
            line,
            column,
            field,
            message,
            span: start..end,
        }
    }
}

/// 1-based (line, column in chars) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// A manifest that failed to parse or validate. Holds every problem found, sorted by
/// position.
///
/// `Display` prints one line per problem:
/// `berth.toml:7:8: network.cidr: 172.24.0.0/8 is too large: ...`.
/// As a [`miette::Diagnostic`] it carries the source and a label at each problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
pub struct SpecError {
    file_name: String,
    #[serde(skip)]
    named: NamedSource<String>,
    problems: Vec<Problem>,
}

impl SpecError {
    pub(crate) fn new(file_name: &str, text: &str, mut problems: Vec<Problem>) -> Self {
        problems.sort_by(|a, b| {
            (a.line, a.column, &a.field, &a.message).cmp(&(b.line, b.column, &b.field, &b.message))
        });
        problems.dedup();
        SpecError {
            file_name: file_name.to_string(),
            named: NamedSource::new(file_name, text.to_string()).with_language("toml"),
            problems,
        }
    }

    /// Every problem found, sorted by line then column.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The file name given to [`crate::parse`].
    pub fn file_name(&self) -> &str {
        &self.file_name
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{}:{}:{}: {}: {}",
                self.file_name, p.line, p.column, p.field, p.message
            )?;
        }
        Ok(())
    }
}

impl Diagnostic for SpecError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("berth::spec"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let n = self.problems.len();
        Some(Box::new(format!(
            "{n} problem{} in {}; nothing was sent to AWS",
            if n == 1 { "" } else { "s" },
            self.file_name
        )))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.named as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.problems.iter().map(|p| {
            LabeledSpan::new_with_span(
                Some(short(&p.message).to_string()),
                (p.span.start, p.span.len()),
            )
        })))
    }
}

/// The "what was wrong" part of a message (before the first `; ` or `. `), for labels;
/// the full message with its fix is in the report's header.
fn short(message: &str) -> &str {
    let end = [message.find("; "), message.find(". ")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(message.len());
    &message[..end]
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn line_col_counts_from_one() {
        let t = "a = 1\nbé = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 9), (2, 3));
    }
}
