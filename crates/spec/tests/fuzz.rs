//! Hostile input: whatever text arrives, `parse` returns a manifest or a clean error with a
//! position inside the file, and never panics or hangs. `PROPTEST_CASES` raises the count
//! (make fuzz); the default keeps `make test` to seconds.

use proptest::prelude::*;

const SEED: &str = include_str!("../../../examples/seed-ec2.toml");

fn check(text: &str) {
    match berth_spec::parse("fuzz.toml", text) {
        Ok(m) => assert!(!m.name.is_empty()),
        Err(e) => {
            let lines = text.lines().count().max(1);
            for p in e.problems() {
                assert!(
                    p.line >= 1 && p.line <= lines + 1,
                    "line {} outside a {lines}-line file: {p:?}",
                    p.line
                );
                assert!(!p.message.is_empty());
            }
            assert!(!e.to_string().is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        check(&text);
    }

    #[test]
    fn toml_shaped_noise_never_panics(
        lines in prop::collection::vec("[a-z_.\\[\\]]{1,12} ?= ?(\"[^\"\\n]{0,20}\"|[0-9-]{1,6}|true|\\[\\]|\\{\\})", 0..12)
    ) {
        check(&lines.join("\n"));
    }

    /// The seed's manifest with one byte changed, dropped or duplicated: the realistic typo.
    #[test]
    fn mutated_real_manifest_never_panics(pos in 0..SEED.len(), byte in any::<u8>(), op in 0..3u8) {
        let mut bytes = SEED.as_bytes().to_vec();
        match op {
            0 => bytes[pos] = byte,
            1 => { bytes.remove(pos); }
            _ => bytes.insert(pos, bytes[pos]),
        }
        check(&String::from_utf8_lossy(&bytes));
    }
}
