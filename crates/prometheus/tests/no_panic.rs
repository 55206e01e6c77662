//! Arbitrary input never panics the parser, in any format and strictness.

use prometheus::exposition::{Entry, Format, Parser, Strictness};
use proptest::prelude::*;

fn run(input: &str) {
    for format in [Format::Text004, Format::OpenMetrics] {
        for strictness in [Strictness::Prometheus, Strictness::OpenMetricsStrict] {
            for e in Parser::new(input, format, strictness).flatten() {
                if let Entry::Sample(s) = e {
                    for (n, v) in s.labels.iter() {
                        std::hint::black_box((n, v));
                    }
                    if let Some(ex) = s.exemplar {
                        std::hint::black_box(ex.labels.iter().count());
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings(input in any::<String>()) {
        run(&input);
    }

    #[test]
    fn exposition_like(input in r#"((# (HELP|TYPE|UNIT|EOF) ?)?[a-z_]{0,3}(\{([a-z]{0,2}=?"[^"\n]{0,4}"?,?)*\}?)? ?[-+0-9.eInfa#{} ]{0,12}\n?){0,8}"#) {
        run(&input);
    }

    #[test]
    fn byte_soup(input in proptest::collection::vec(prop_oneof![Just(b'{'), Just(b'}'), Just(b'"'), Just(b'\\'), Just(b' '), Just(b'\n'), Just(b'#'), Just(b'='), Just(b','), any::<u8>()], 0..64)) {
        run(&String::from_utf8_lossy(&input));
    }
}
