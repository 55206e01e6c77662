//! `otelcol_process_runtime_*` with jemalloc as the global allocator, as in the binary.

#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[test]
fn runtime_memory_follows_allocations() {
    assert!(telemetry::runtime::jemalloc_is_global());
    let before = telemetry::runtime::read().expect("jemalloc statistics");
    let total_before = before.total_alloc.expect("merged arena statistics parse");
    let block: Vec<u8> = vec![1; 8 << 20];
    let during = telemetry::runtime::read().expect("jemalloc statistics");
    assert!(
        during.heap_alloc >= before.heap_alloc + (7 << 20),
        "{before:?} {during:?}"
    );
    assert!(during.sys >= during.heap_alloc);
    let total_during = during.total_alloc.expect("total");
    assert!(total_during >= total_before + (8 << 20));
    drop(block);
    let after = telemetry::runtime::read().expect("jemalloc statistics");
    assert!(after.heap_alloc < during.heap_alloc);
    assert!(
        after.total_alloc.expect("total") >= total_during,
        "cumulative"
    );
}

#[test]
fn the_exposition_has_the_runtime_metrics() {
    let id = telemetry::server::ServiceIdentity {
        service_name: "ferrocol".into(),
        service_instance_id: "i".into(),
        service_version: "v".into(),
    };
    let started = std::time::Instant::now();
    let text = telemetry::server::render(&id, &telemetry::server::Endpoint::default());
    eprintln!("render took {:?}", started.elapsed());
    for name in [
        "otelcol_process_runtime_heap_alloc_bytes{",
        "otelcol_process_runtime_total_alloc_bytes{",
        "otelcol_process_runtime_total_sys_memory_bytes{",
        "# TYPE otelcol_process_runtime_total_alloc_bytes counter",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
}
