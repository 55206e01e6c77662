//! CI smoke: a 3-second Trace10kSPS over OTLP/gRPC through the real ferrocol binary, with the
//! exact delivery check and the no-decode check only (timings are not asserted: CI machines
//! are shared and noisy).

use std::path::PathBuf;
use std::time::Duration;

use testbed::collector::CollectorKind;
use testbed::runner::{self, RunOptions, Verdict};
use testbed::scenario;

/// `FERROCOL_BIN` (scripts/test.sh exports the release build), else the release build, else the
/// debug build of this workspace. Cargo cannot name another crate's binary here
/// (`CARGO_BIN_EXE_*` is per package), so the path is found like this.
fn ferrocol_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("FERROCOL_BIN") {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "FERROCOL_BIN={} is not a file", p.display());
        return p;
    }
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target");
    for profile in ["release", "debug"] {
        let p = target.join(profile).join("ferrocol");
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "no ferrocol binary: set FERROCOL_BIN or build one (`cargo build -p ferrocol`, or `cargo build --release -p ferrocol`) before this test"
    );
}

#[test]
fn trace10k_sps_over_grpc_delivers_every_span_without_decoding() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let kind = CollectorKind::Ferrocol {
        bin: ferrocol_bin(),
    };
    let s = scenario::select(&["Trace10kSPS/OTLP-gRPC".into()]).remove(0);
    let opts = RunOptions {
        duration: Duration::from_secs(3),
        warmup: Duration::from_millis(500),
        ..RunOptions::default()
    };
    let r = runner::run(&rt, &kind, &s, &opts);
    assert_eq!(r.verdict, Verdict::Passed, "{r:#?}");
    assert!(r.acked_items > 0);
    assert_eq!(r.received_items, r.acked_items);
    assert_eq!(
        r.decodes,
        Some(0),
        "batch merges encoded payloads: nothing decodes"
    );
}
