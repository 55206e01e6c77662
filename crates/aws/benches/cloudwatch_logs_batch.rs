//! The CloudWatch Logs batcher on a typical export: 20,000 events of ~200 bytes, partly out of
//! order (validation, sort, and cutting into calls).

use aws::cloudwatch_logs::{LogEvent, prepare};
use criterion::{Criterion, criterion_group, criterion_main};

fn events(n: usize, now: i64) -> Vec<LogEvent> {
    (0..n)
        .map(|i| LogEvent {
            // Every 16th event arrives late, so the sort has work to do.
            timestamp_ms: now - 60_000 + (i as i64) - if i % 16 == 0 { 500 } else { 0 },
            message: format!(
                "{{\"body\":\"request {i} served\",\"severity_number\":9,\"attributes\":{{\"http.route\":\"/api/v1/orders\",\"http.status_code\":200}}}}"
            ),
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let now = 1_700_000_000_000;
    let input = events(20_000, now);
    c.bench_function("cloudwatch_logs_prepare_20k", |b| {
        b.iter_batched(
            || input.clone(),
            |events| prepare(events, now),
            criterion::BatchSize::LargeInput,
        )
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
