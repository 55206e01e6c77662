//! `file_storage`: append + acknowledge of one 4 KiB record on the segmented log, with
//! `fsync: false` (page cache) and `fsync: true` (one fdatasync per append when alone; shared by
//! concurrent appends through group commit).

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use extensions::file_storage::{FileStorage, FileStorageConfig};

fn bench(c: &mut Criterion) {
    let record = vec![0x5a_u8; 4096];
    let mut group = c.benchmark_group("file_storage");
    group.throughput(Throughput::Bytes(record.len() as u64));
    for fsync in [false, true] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let config = FileStorageConfig {
            directory: tmp.path().display().to_string(),
            fsync,
            ..Default::default()
        };
        let storage = FileStorage::new("file_storage", &config).storage();
        let queue = storage.open_queue("exporter_otlp__traces").expect("open");
        group.bench_function(format!("append_ack_4KiB/fsync={fsync}"), |b| {
            b.iter(|| {
                let id = queue.append(&record).expect("append");
                queue.ack(id).expect("ack");
            })
        });
        if fsync {
            // 8 writers at once: the per-append cost with group commit.
            let queue: Arc<dyn component::storage::DurableQueue> = Arc::from(queue);
            group.throughput(Throughput::Bytes(8 * record.len() as u64));
            group.bench_function("append_ack_4KiB/fsync=true/8_writers", |b| {
                b.iter(|| {
                    std::thread::scope(|s| {
                        for _ in 0..8 {
                            let queue = queue.clone();
                            let record = &record;
                            s.spawn(move || {
                                let id = queue.append(record).expect("append");
                                queue.ack(id).expect("ack");
                            });
                        }
                    });
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
