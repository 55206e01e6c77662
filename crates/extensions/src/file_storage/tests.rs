//! Tests of the segmented log and the `file_storage` extension.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use component::storage::{PendingRecord, queue_storage};
use component::{ComponentConfig, Extension};

use super::log::{HEADER, LogOptions, SegmentLog};
use super::*;

fn options(segment_size: u64) -> LogOptions {
    LogOptions {
        fsync: false,
        segment_size,
        max_size: 0,
        recreate: false,
        lock_timeout: Duration::from_millis(200),
    }
}

fn open(dir: &Path, opts: LogOptions) -> SegmentLog {
    SegmentLog::open(dir, opts, Arc::new(AtomicU64::new(0))).expect("open")
}

fn body(i: usize) -> Vec<u8> {
    format!("record number {i} {}", "x".repeat(i % 7)).into_bytes()
}

fn ids(pending: &[PendingRecord]) -> Vec<u64> {
    pending.iter().map(|p| p.id).collect()
}

fn segment_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".log"))
        .collect();
    names.sort();
    names
}

#[test]
fn append_read_ack_and_replay() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("client");
    let log = open(&dir, options(1 << 20));
    let ids_written: Vec<u64> = (0..10).map(|i| log.append(&body(i)).unwrap()).collect();
    assert_eq!(ids_written, (0..10).collect::<Vec<_>>());
    assert_eq!(log.len(), 10);
    assert_eq!(
        log.bytes(),
        (0..10).map(|i| body(i).len() as u64).sum::<u64>()
    );
    assert_eq!(log.read(3).unwrap(), body(3));
    for id in [0, 2, 5, 5] {
        log.ack(id).unwrap();
    }
    assert_eq!(log.len(), 7);
    assert!(log.read(2).is_err(), "an acknowledged record is gone");
    drop(log);

    let log = open(&dir, options(1 << 20));
    assert_eq!(ids(&log.pending()), [1, 3, 4, 6, 7, 8, 9]);
    for p in log.pending() {
        assert_eq!(log.read(p.id).unwrap(), body(p.id as usize));
        assert_eq!(p.len, body(p.id as usize).len());
    }
    // New ids continue after the replayed ones.
    assert_eq!(log.append(b"after").unwrap(), 10);
}

#[test]
fn drained_segments_are_deleted_and_disk_use_shrinks() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("client");
    // Room for about 4 records per segment.
    let rec = 100;
    let log = open(&dir, options(4 * (HEADER as u64 + rec)));
    for _ in 0..12 {
        log.append(&vec![7u8; rec as usize]).unwrap();
    }
    assert_eq!(log.segment_count(), 3);
    assert_eq!(segment_files(&dir).len(), 3);
    // Acknowledging out of order: the middle segment goes first.
    for id in [5, 4, 7, 6] {
        log.ack(id).unwrap();
    }
    assert_eq!(
        segment_files(&dir),
        [
            "seg-00000000000000000000.log",
            "seg-00000000000000000008.log"
        ]
    );
    for id in (0..4).chain(8..12) {
        log.ack(id).unwrap();
    }
    assert_eq!(log.segment_count(), 0);
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["LOCK"], "only the lock file stays");
    // The queue keeps working after its last segment was deleted.
    assert_eq!(log.append(b"again").unwrap(), 12);
    drop(log);
    let log = open(&dir, options(1 << 20));
    assert_eq!(ids(&log.pending()), [12]);
}

#[test]
fn a_torn_tail_is_truncated_and_the_rest_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("client");
    let log = open(&dir, options(1 << 20));
    for i in 0..5 {
        log.append(&body(i)).unwrap();
    }
    drop(log);
    let seg = dir.join("seg-00000000000000000000.log");
    let full = std::fs::metadata(&seg).unwrap().len();
    // A crash in the middle of writing a sixth record: its header and part of its body.
    let mut data = std::fs::read(&seg).unwrap();
    let sixth = body(5);
    data.extend_from_slice(&(sixth.len() as u32).to_le_bytes());
    data.extend_from_slice(&crc32fast::hash(&sixth).to_le_bytes());
    data.extend_from_slice(&sixth[..3]);
    std::fs::write(&seg, &data).unwrap();

    let log = open(&dir, options(1 << 20));
    assert_eq!(ids(&log.pending()), [0, 1, 2, 3, 4]);
    assert_eq!(std::fs::metadata(&seg).unwrap().len(), full, "truncated");
    assert_eq!(log.read(4).unwrap(), body(4));
    drop(log);

    // A header cut short, and a last record whose bytes never reached the disk (zeros).
    for tail in [vec![1u8, 0, 0], {
        let mut t = (10u32).to_le_bytes().to_vec();
        t.extend_from_slice(&[0xAB; 4]);
        t.extend_from_slice(&[0; 10]);
        t
    }] {
        let mut data = std::fs::read(&seg).unwrap();
        data.extend_from_slice(&tail);
        std::fs::write(&seg, &data).unwrap();
        let log = open(&dir, options(1 << 20));
        assert_eq!(log.len(), 5);
        assert_eq!(std::fs::metadata(&seg).unwrap().len(), full);
    }
}

/// Flips a byte inside the body of the second record of the first segment.
fn corrupt_second_record(dir: &Path) -> PathBuf {
    let seg = dir.join("seg-00000000000000000000.log");
    let mut data = std::fs::read(&seg).unwrap();
    let first_len = u32::from_le_bytes(data[..4].try_into().unwrap()) as usize;
    let at = HEADER + first_len + HEADER + 1;
    data[at] ^= 0xFF;
    std::fs::write(&seg, &data).unwrap();
    seg
}

#[test]
fn corruption_without_recreate_fails_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("client");
    let log = open(&dir, options(1 << 20));
    for i in 0..4 {
        log.append(&body(i)).unwrap();
    }
    drop(log);
    let seg = corrupt_second_record(&dir);
    let err = SegmentLog::open(&dir, options(1 << 20), Arc::new(AtomicU64::new(0)))
        .err()
        .expect("corruption is an error");
    assert!(err.contains(&seg.display().to_string()), "{err}");
    assert!(err.contains("checksum"), "{err}");
    assert!(err.contains("recreate"), "{err}");
    // Nothing was moved or changed.
    assert!(seg.exists());
}

#[test]
fn corruption_with_recreate_moves_the_queue_aside_and_starts_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("client");
    let log = open(&dir, options(1 << 20));
    for i in 0..4 {
        log.append(&body(i)).unwrap();
    }
    drop(log);
    corrupt_second_record(&dir);
    let opts = LogOptions {
        recreate: true,
        ..options(1 << 20)
    };
    let log = open(&dir, opts);
    assert_eq!(log.len(), 0);
    let backups: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("client.backup."))
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    let backup = tmp.path().join(&backups[0]);
    assert!(backup.join("seg-00000000000000000000.log").exists());
    assert_eq!(log.append(b"fresh").unwrap(), 0);
}

#[test]
fn garbage_files_never_panic() {
    // Every prefix of a valid segment, and random bytes, open without panicking: a prefix is a
    // torn tail (kept records intact), garbage is either torn or corrupt.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("source");
    let log = open(&dir, options(1 << 20));
    for i in 0..6 {
        log.append(&body(i)).unwrap();
    }
    drop(log);
    let data = std::fs::read(dir.join("seg-00000000000000000000.log")).unwrap();
    for cut in 0..data.len() {
        let d = tmp.path().join(format!("cut{cut}"));
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("seg-00000000000000000000.log"), &data[..cut]).unwrap();
        let log = open(&d, options(1 << 20));
        for p in log.pending() {
            assert_eq!(log.read(p.id).unwrap(), body(p.id as usize));
        }
    }
    let mut seed = 0x1234_5678_u64;
    for n in 0..200 {
        let d = tmp.path().join(format!("junk{n}"));
        std::fs::create_dir(&d).unwrap();
        let junk: Vec<u8> = (0..(n * 3))
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                // Small lengths now and then, so some headers parse.
                if seed.is_multiple_of(5) {
                    0
                } else {
                    seed as u8
                }
            })
            .collect();
        std::fs::write(d.join("seg-00000000000000000000.log"), &junk).unwrap();
        std::fs::write(d.join("seg-00000000000000000000.ack"), &junk).unwrap();
        let _ = SegmentLog::open(&d, options(1 << 20), Arc::new(AtomicU64::new(0)));
    }
}

#[test]
fn a_full_store_refuses_appends_until_acks_free_room() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("client");
    let rec = 100usize;
    let opts = LogOptions {
        max_size: 3 * (HEADER + rec) as u64,
        ..options(HEADER as u64 + rec as u64)
    };
    let log = open(&dir, opts);
    for _ in 0..3 {
        log.append(&vec![1; rec]).unwrap();
    }
    let err = log.append(&vec![1; rec]).unwrap_err();
    assert!(err.contains("the storage is full"), "{err}");
    assert_eq!(log.len(), 3);
    // One record per segment: acknowledging one deletes its segment and frees its bytes.
    log.ack(0).unwrap();
    log.append(&vec![1; rec]).unwrap();
    assert!(log.append(&vec![1; rec]).is_err());
}

#[test]
fn group_commit_with_concurrent_writers() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("client");
    let opts = LogOptions {
        fsync: true,
        ..options(64 * 1024)
    };
    let log = Arc::new(open(&dir, opts.clone()));
    let threads = 8;
    let per = 200;
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let log = log.clone();
            std::thread::spawn(move || {
                (0..per)
                    .map(|i| {
                        let b = format!("t{t}-{i}").into_bytes();
                        (log.append(&b).unwrap(), b)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut written: Vec<(u64, Vec<u8>)> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    written.sort();
    assert_eq!(written.len(), threads * per);
    let unique: std::collections::BTreeSet<u64> = written.iter().map(|(id, _)| *id).collect();
    assert_eq!(unique.len(), threads * per, "ids are unique");
    drop(log);
    let log = open(&dir, opts);
    let pending = log.pending();
    assert_eq!(pending.len(), threads * per);
    for (id, b) in &written {
        assert_eq!(&log.read(*id).unwrap(), b);
    }
}

#[test]
fn a_queue_is_opened_once_at_a_time() {
    let tmp = tempfile::tempdir().unwrap();
    let config = FileStorageConfig {
        directory: tmp.path().display().to_string(),
        timeout: confmap::Duration::from_millis(100),
        ..Default::default()
    };
    let storage = FileStorage::new("file_storage", &config);
    let store = storage.storage();
    let q = store.open_queue("exporter_otlp__traces").unwrap();
    assert!(
        store
            .open_queue("exporter_otlp__traces")
            .err()
            .unwrap()
            .contains("already open")
    );
    // Another process (here: another store on the same directory) waits `timeout`, then fails.
    let other = FileStorage::new("file_storage/2", &config);
    let err = other
        .storage()
        .open_queue("exporter_otlp__traces")
        .err()
        .unwrap();
    assert!(err.contains("timeout"), "{err}");
    q.append(b"x").unwrap();
    drop(q);
    let q = store.open_queue("exporter_otlp__traces").unwrap();
    assert_eq!(q.len(), 1);
    assert!(tmp.path().join("exporter_otlp__traces").is_dir());
}

#[test]
fn the_extension_offers_queue_storage() {
    let tmp = tempfile::tempdir().unwrap();
    let config = FileStorageConfig {
        directory: tmp.path().display().to_string(),
        ..Default::default()
    };
    let ext: Arc<dyn Extension> = Arc::new(FileStorage::new("file_storage", &config));
    let storage = queue_storage(ext.as_ref()).expect("a storage extension");
    let q = storage.open_queue("exporter_otlp_grpc_a_logs").unwrap();
    assert_eq!(q.append(b"hello").unwrap(), 0);
}

#[test]
fn client_names_are_escaped_like_upstream() {
    assert_eq!(
        client_file_name("exporter_otlp__traces"),
        "exporter_otlp__traces"
    );
    assert_eq!(client_file_name("a/b c~"), "a~2Fb~20c~7E");
    assert_eq!(client_file_name(".."), "~2E~2E");
}

#[test]
fn config_defaults_and_validation() {
    let d = FileStorageConfig::default();
    assert_eq!(d.directory, "/var/lib/otelcol/file_storage");
    assert_eq!(d.timeout, confmap::Duration::from_secs(1));
    assert!(!d.fsync && !d.create_directory && !d.recreate);
    assert_eq!(d.max_size, 0);
    assert_eq!(d.directory_permissions, "0750");
    assert_eq!(d.compaction.max_transaction_size, 65536);
    assert_eq!(d.compaction.rebound_needed_threshold_mib, 100);
    assert_eq!(d.compaction.rebound_trigger_threshold_mib, 10);
    assert_eq!(d.compaction.check_interval, confmap::Duration::from_secs(5));
    assert_eq!(d.compaction.directory, "/var/lib/otelcol/file_storage");

    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing").display().to_string();
    let c = FileStorageConfig {
        directory: missing.clone(),
        ..Default::default()
    };
    assert_eq!(
        c.validate().unwrap_err(),
        format!(
            "directory must exist: stat {missing}: no such file or directory. You can enable the create_directory option to automatically create it"
        )
    );
    let c = FileStorageConfig {
        directory: missing.clone(),
        create_directory: true,
        ..Default::default()
    };
    c.validate().unwrap();
    let file = tmp.path().join("file");
    std::fs::write(&file, b"").unwrap();
    let c = FileStorageConfig {
        directory: file.display().to_string(),
        ..Default::default()
    };
    assert_eq!(
        c.validate().unwrap_err(),
        format!("{} is not a directory", file.display())
    );
    let ok_dir = tmp.path().display().to_string();
    let mut c = FileStorageConfig {
        directory: ok_dir.clone(),
        ..Default::default()
    };
    c.compaction.max_transaction_size = -1;
    assert_eq!(
        c.validate().unwrap_err(),
        "max transaction size for compaction cannot be less than 0"
    );
    let mut c = FileStorageConfig {
        directory: ok_dir.clone(),
        ..Default::default()
    };
    c.compaction.on_rebound = true;
    c.compaction.directory = ok_dir.clone();
    c.compaction.check_interval = confmap::Duration::from_secs(0);
    assert_eq!(
        c.validate().unwrap_err(),
        "compaction check interval must be positive when rebound compaction is set"
    );
    let mut c = FileStorageConfig {
        directory: ok_dir.clone(),
        ..Default::default()
    };
    c.compaction.on_start = true;
    c.compaction.directory = missing.clone();
    assert!(
        c.validate()
            .unwrap_err()
            .starts_with("directory must exist")
    );
    for (perm, err) in [
        (
            "0x1",
            "directory_permissions value must be a valid octal representation",
        ),
        (
            "1777",
            "directory_permissions contain invalid bits for file access",
        ),
    ] {
        let c = FileStorageConfig {
            directory: ok_dir.clone(),
            create_directory: true,
            directory_permissions: perm.into(),
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err(), err);
    }
}

#[tokio::test]
async fn start_creates_the_directory_with_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a/b");
    let config = FileStorageConfig {
        directory: dir.display().to_string(),
        create_directory: true,
        ..Default::default()
    };
    let ext = FileStorage::new("file_storage", &config);
    let (_tx, rx) = tokio::sync::watch::channel(component::CollectorStatus::Starting);
    let host = Host::new(Default::default(), rx);
    ext.start(&host).await.unwrap();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    // The umask may only take bits away.
    assert_eq!(mode & !0o750, 0, "{mode:o}");
    assert!(mode & 0o700 == 0o700);
}
