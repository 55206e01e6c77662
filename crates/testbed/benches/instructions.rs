//! Instruction counts (valgrind callgrind, through gungraun) for the hot paths of an OTLP → batch
//! → OTLP pipeline on encoded payloads, next to the prost decode they avoid. Unlike wall-clock
//! timings these repeat on a shared 2-core VM, so a change shows as a difference in counts.
//!
//! Needs valgrind and `cargo install gungraun-runner --version 0.20.0`; then
//! `cargo bench -p testbed --bench instructions` (see bench/README.md).

use std::hint::black_box;

use bytes::Bytes;
use gungraun::prelude::*;
use loadgen::generate;
use loadgen::{Encoding, Shape, Signal};
use pdata::wire::{self, SignalKind};
use pdata::{ExportTraceServiceRequest, RequestMeta, Traces};
use prost::Message;

/// One request as the testbed's load generator sends it: 100 spans x 10 attributes of 16 B.
fn request(seed: u64) -> Bytes {
    let shape = Shape {
        batch_size: 100,
        attributes: 10,
        attribute_size: 16,
        ..Shape::default()
    };
    generate::build(Signal::Traces, &shape, 100, seed).encode(Encoding::Proto)
}

fn payloads() -> Vec<Traces> {
    (0..10)
        .map(|s| Traces::from_bytes(request(s), RequestMeta::default()).expect("valid"))
        .collect()
}

fn merged() -> Bytes {
    Traces::merge(payloads()).expect("ten payloads").bytes()
}

#[library_benchmark]
#[bench::request_100_spans(request(1))]
fn validate(bytes: Bytes) -> usize {
    black_box(wire::validate(SignalKind::Traces, black_box(&bytes)).expect("valid"))
}

#[library_benchmark]
#[bench::request_100_spans(request(1))]
fn count_items(bytes: Bytes) -> usize {
    black_box(wire::count_items(SignalKind::Traces, black_box(&bytes)).expect("valid"))
}

#[library_benchmark]
#[bench::request_100_spans(request(1))]
fn payload_from_bytes(bytes: Bytes) -> Traces {
    black_box(Traces::from_bytes(black_box(bytes), RequestMeta::default()).expect("valid"))
}

#[library_benchmark]
#[bench::ten_requests(payloads())]
fn payload_merge(parts: Vec<Traces>) -> Option<Traces> {
    black_box(Traces::merge(black_box(parts)))
}

#[library_benchmark]
#[bench::merged_1000_spans(merged())]
fn resource_records(bytes: Bytes) -> usize {
    black_box(
        wire::resource_records(SignalKind::Traces, black_box(&bytes))
            .expect("valid")
            .len(),
    )
}

#[library_benchmark]
#[bench::request_100_spans(request(1))]
fn prost_decode(bytes: Bytes) -> ExportTraceServiceRequest {
    black_box(ExportTraceServiceRequest::decode(black_box(bytes)).expect("valid"))
}

library_benchmark_group!(
    name = encoded_payloads,
    benchmarks = [
        validate,
        count_items,
        payload_from_bytes,
        payload_merge,
        resource_records,
        prost_decode
    ]
);

main!(library_benchmark_groups = encoded_payloads);
