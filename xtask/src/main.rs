//! Project automation. `cargo run -p xtask -- gen-proto` regenerates the checked-in prost code in
//! `crates/pdata/src/proto/` from `proto/otlp.fds`.
//!
//! `proto/otlp.fds` is a `FileDescriptorSet` dumped by `proto/dump_descriptors.py` from the
//! descriptors embedded in PyPI's `opentelemetry-proto` and `googleapis-common-protos` packages, so
//! regenerating needs neither `protoc` nor a checkout of the proto repositories.

use anyhow::{Context, Result, bail};
use prost::Message;
use std::path::PathBuf;

fn main() -> Result<()> {
    match std::env::args().nth(1).as_deref() {
        Some("gen-proto") => gen_proto(),
        _ => bail!("usage: cargo run -p xtask -- gen-proto"),
    }
}

fn gen_proto() -> Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let fds_bytes = std::fs::read(root.join("proto/otlp.fds")).context("reading proto/otlp.fds")?;
    let fds = prost_types::FileDescriptorSet::decode(fds_bytes.as_slice())?;
    let out = root.join("crates/pdata/src/proto");
    std::fs::create_dir_all(&out)?;
    prost_build::Config::new()
        .out_dir(&out)
        // Keep `bytes` fields (ids) as `Bytes` so decoding from a `Bytes` buffer does not copy them.
        .bytes(["."])
        .compile_fds(fds)?;
    println!("generated into {}", out.display());
    Ok(())
}
