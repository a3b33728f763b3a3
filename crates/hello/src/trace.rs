//! W3C Trace Context (<https://www.w3.org/TR/trace-context/>): a request's `traceparent`
//! (`00-<trace id>-<parent span id>-<flags>`) is honoured, so hello's log lines join the
//! caller's trace; without a valid one, hello starts a trace of its own.

/// The header, lowercase as HTTP/2 requires.
pub const HEADER: &str = "traceparent";

/// This server's span of a request's trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    trace_id: u128,
    span_id: u64,
    /// The caller's span, when the request carried one.
    parent_id: Option<u64>,
    /// The caller's sampling decision, passed on unchanged; ours is "sampled" when we start.
    flags: u8,
}

impl Span {
    /// A span of the trace `traceparent` names, or of a new trace when it is missing or
    /// malformed (the spec: a receiver that cannot parse it starts afresh).
    pub fn continuing(traceparent: Option<&str>) -> Span {
        let span_id = nonzero(rand::random());
        match traceparent.and_then(parse) {
            Some((trace_id, parent, flags)) => Span {
                trace_id,
                span_id,
                parent_id: Some(parent),
                flags,
            },
            None => Span {
                trace_id: nonzero(rand::random()),
                span_id,
                parent_id: None,
                flags: 1,
            },
        }
    }

    /// 32 lowercase hex digits, as log lines and X-Ray's W3C support show it.
    pub fn trace_id(&self) -> String {
        format!("{:032x}", self.trace_id)
    }

    /// 16 lowercase hex digits.
    pub fn span_id(&self) -> String {
        format!("{:016x}", self.span_id)
    }

    /// The caller's span id, when there was a caller's trace.
    pub fn parent_id(&self) -> Option<String> {
        self.parent_id.map(|p| format!("{p:016x}"))
    }

    /// The header for whoever is downstream (or the caller): this span as the parent.
    pub fn traceparent(&self) -> String {
        String::from_utf8(self.traceparent_bytes().to_vec()).expect("hex is ASCII")
    }

    /// [`Span::traceparent`] without an allocation: it is written on every response.
    pub fn traceparent_bytes(&self) -> [u8; 55] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = *b"00-00000000000000000000000000000000-0000000000000000-00";
        let mut put = |at: usize, digits: usize, value: u128| {
            for i in 0..digits {
                out[at + i] = HEX[((value >> (4 * (digits - 1 - i))) & 0xf) as usize];
            }
        };
        put(3, 32, self.trace_id);
        put(36, 16, self.span_id.into());
        put(53, 2, self.flags.into());
        out
    }
}

/// All-zero ids are invalid.
fn nonzero<T: Default + PartialEq + From<u8>>(id: T) -> T {
    if id == T::default() { T::from(1) } else { id }
}

/// (trace id, parent span id, flags) of a valid version-00 header; later versions are read the same way, as
/// the spec asks, as long as the first four fields parse.
fn parse(header: &str) -> Option<(u128, u64, u8)> {
    let mut fields = header.trim().split('-');
    let (version, trace, parent, flags) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    let hex = |s: &str, len: usize| {
        s.len() == len
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    if !hex(version, 2) || version == "ff" || !hex(trace, 32) || !hex(parent, 16) || !hex(flags, 2)
    {
        return None;
    }
    if version == "00" && fields.next().is_some() {
        return None;
    }
    let trace_id = u128::from_str_radix(trace, 16).ok()?;
    let parent_id = u64::from_str_radix(parent, 16).ok()?;
    if trace_id == 0 || parent_id == 0 {
        return None;
    }
    Some((trace_id, parent_id, u8::from_str_radix(flags, 16).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALLER: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_callers_trace_is_continued_with_a_new_span() {
        let span = Span::continuing(Some(CALLER));
        assert_eq!(span.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        let header = span.traceparent();
        assert!(
            header.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{header}"
        );
        assert!(header.ends_with("-01"), "the sampling flag passed on");
        assert_ne!(&header[36..52], "00f067aa0ba902b7", "our own span id");
    }

    #[test]
    fn malformed_headers_start_a_new_trace() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            let span = Span::continuing(Some(bad));
            assert_ne!(
                span.trace_id(),
                "4bf92f3577b34da6a3ce929d0e0e4736",
                "{bad:?}"
            );
            assert_eq!(span.trace_id().len(), 32);
        }
        // A later version with more fields is read for what it shares with 00.
        let later = format!("{}-more", CALLER.replacen("00", "01", 1));
        assert_eq!(
            Span::continuing(Some(&later)).trace_id(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
    }

    #[test]
    fn new_traces_differ() {
        assert_ne!(
            Span::continuing(None).trace_id(),
            Span::continuing(None).trace_id()
        );
    }
}
