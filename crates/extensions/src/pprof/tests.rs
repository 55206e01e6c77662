use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use component::config::decode_typed;
use component::{CollectorStatus, ComponentId, CreateContext, ExtensionFactory, FactoryInfo, Host};
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use super::*;

/// The CPU profiler and the one-extension rule are process-wide: these tests take turns.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The pprof message as a reader sees it, written from profile.proto independently of ours.
#[derive(Clone, PartialEq, prost::Message)]
struct ReadProfile {
    #[prost(message, repeated, tag = "1")]
    sample_type: Vec<ReadValueType>,
    #[prost(message, repeated, tag = "2")]
    sample: Vec<ReadSample>,
    #[prost(message, repeated, tag = "4")]
    location: Vec<ReadLocation>,
    #[prost(message, repeated, tag = "5")]
    function: Vec<ReadFunction>,
    #[prost(string, repeated, tag = "6")]
    string_table: Vec<String>,
    #[prost(int64, tag = "10")]
    duration_nanos: i64,
    #[prost(message, optional, tag = "11")]
    period_type: Option<ReadValueType>,
    #[prost(int64, tag = "12")]
    period: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ReadValueType {
    #[prost(int64, tag = "1")]
    r#type: i64,
    #[prost(int64, tag = "2")]
    unit: i64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ReadSample {
    #[prost(uint64, repeated, tag = "1")]
    location_id: Vec<u64>,
    #[prost(int64, repeated, tag = "2")]
    value: Vec<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ReadLocation {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(message, repeated, tag = "4")]
    line: Vec<ReadLine>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ReadLine {
    #[prost(uint64, tag = "1")]
    function_id: u64,
}

#[derive(Clone, PartialEq, prost::Message)]
struct ReadFunction {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(int64, tag = "2")]
    name: i64,
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    assert_eq!(&bytes[..2], [0x1f, 0x8b], "gzip magic");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn decode(yaml: &str) -> Result<PprofConfig, String> {
    let node = confmap::parse_yaml(yaml).expect("valid yaml");
    decode_typed::<PprofConfig>(node.as_ref()).map_err(|e| e.to_string())
}

fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

fn create(config: PprofConfig) -> Arc<dyn Extension> {
    PprofFactory
        .create(
            CreateContext {
                id: ComponentId::new("pprof", None),
                build_version: "test",
            },
            &AnyConfig::new(config),
        )
        .unwrap()
}

fn host() -> Host {
    let (_tx, rx) = watch::channel(CollectorStatus::Ready);
    Host::new(BTreeMap::new(), rx)
}

async fn start(config: PprofConfig) -> Arc<dyn Extension> {
    let ext = create(config);
    ext.start(&host()).await.unwrap();
    ext
}

/// A raw HTTP/1.1 GET: (status, lower-cased head, body bytes).
async fn get(addr: &str, path: &str) -> (u16, String, Vec<u8>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = raw[split + 4..].to_vec();
    (head[9..12].parse().unwrap(), head, body)
}

/// Keeps one core busy so that the profiler has something to sample.
fn burn(for_: Duration) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let end = Instant::now() + for_;
        let mut x = 0u64;
        while Instant::now() < end {
            for i in 0..10_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
            }
        }
        x
    })
}

fn check_cpu_profile(gzipped: &[u8]) -> ReadProfile {
    let p = ReadProfile::decode(gunzip(gzipped).as_slice()).expect("a pprof Profile");
    let s = |i: i64| p.string_table[i as usize].as_str();
    assert_eq!(p.string_table[0], "");
    let types: Vec<(&str, &str)> = p
        .sample_type
        .iter()
        .map(|t| (s(t.r#type), s(t.unit)))
        .collect();
    assert_eq!(types, [("samples", "count"), ("cpu", "nanoseconds")]);
    let period = p.period_type.as_ref().unwrap();
    assert_eq!((s(period.r#type), s(period.unit)), ("cpu", "nanoseconds"));
    assert_eq!(p.period, 10_000_000);
    // Every sample points at known locations, whose functions are named.
    for sample in &p.sample {
        assert_eq!(sample.value.len(), 2);
        assert_eq!(sample.value[1], sample.value[0] * p.period);
        for id in &sample.location_id {
            let loc = p.location.iter().find(|l| l.id == *id).expect("location");
            for line in &loc.line {
                assert!(p.function.iter().any(|f| f.id == line.function_id));
            }
        }
    }
    p
}

#[test]
fn defaults_and_upstream_keys() {
    let d = PprofConfig::default();
    assert_eq!(d.endpoint, "localhost:1777");
    assert_eq!(d.block_profile_fraction, 0);
    assert_eq!(d.mutex_profile_fraction, 0);
    assert_eq!(d.save_to_file, "");
    assert_eq!(PprofFactory.kind(), "pprof");
    assert_eq!(PprofFactory.stability(), Stability::Beta);
    assert_eq!(decode_typed::<PprofConfig>(None).unwrap(), d);

    let c = decode(
        "endpoint: \"0.0.0.0:1778\"\nblock_profile_fraction: 3\nmutex_profile_fraction: 5\n\
         save_to_file: /tmp/cpu.pprof\ndialer:\n  timeout: 1s\n",
    )
    .unwrap();
    assert_eq!(c.endpoint, "0.0.0.0:1778");
    assert_eq!((c.block_profile_fraction, c.mutex_profile_fraction), (3, 5));
    assert_eq!(c.save_to_file, "/tmp/cpu.pprof");

    assert!(
        decode("endpoint: \"\"\n")
            .unwrap_err()
            .contains("\"endpoint\" is required when using the \"pprof\" extension")
    );
    assert!(decode("tls: {}\n").unwrap_err().contains("tls"));
    assert!(
        decode("block_profile_fraction: lots\n")
            .unwrap_err()
            .contains("block_profile_fraction")
    );
}

#[test]
fn seconds_as_go_reads_them() {
    assert_eq!(seconds(None), 30);
    assert_eq!(seconds(Some("seconds=5")), 5);
    assert_eq!(seconds(Some("x=1&seconds=2")), 2);
    assert_eq!(seconds(Some("seconds=0")), 30);
    assert_eq!(seconds(Some("seconds=-3")), 30);
    assert_eq!(seconds(Some("seconds=abc")), 30);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_profile_over_http_is_gzipped_pprof() {
    let _turn = SERIAL.lock().await;
    let addr = free_addr();
    let ext = start(PprofConfig {
        endpoint: addr.clone(),
        ..Default::default()
    })
    .await;

    let busy = burn(Duration::from_millis(1500));
    let (code, head, body) = get(&addr, "/debug/pprof/profile?seconds=1").await;
    busy.join().unwrap();
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    assert!(
        head.contains("content-type: application/octet-stream"),
        "{head}"
    );
    assert!(head.contains("content-disposition: attachment; filename=\"profile\""));
    let p = check_cpu_profile(&body);
    assert!(!p.sample.is_empty(), "a busy second yields samples");
    assert!(p.duration_nanos >= 900_000_000, "{}", p.duration_nanos);
    assert!(
        p.function
            .iter()
            .any(|f| p.string_table[f.name as usize].contains("burn")),
        "the busy function is named"
    );

    // The index, the command line, Go's error for unknown profiles, and the 501s.
    let (code, head, body) = get(&addr, "/debug/pprof/").await;
    assert_eq!(code, 200);
    assert!(head.contains("text/html"));
    let index = String::from_utf8(body).unwrap();
    for link in ["profile", "heap", "cmdline"] {
        assert!(index.contains(&format!("<a href=\"{link}\">")), "{link}");
    }
    let (code, head, _) = get(&addr, "/debug/pprof").await;
    assert_eq!(code, 301);
    assert!(head.contains("location: /debug/pprof/"));
    let (code, _, body) = get(&addr, "/debug/pprof/cmdline").await;
    assert_eq!(code, 200);
    assert!(!body.is_empty());
    let (code, head, body) = get(&addr, "/debug/pprof/nope").await;
    assert_eq!((code, body.as_slice()), (404, &b"Unknown profile\n"[..]));
    assert!(head.contains("x-go-pprof: 1"));
    let (code, _, body) = get(&addr, "/debug/pprof/mutex").await;
    assert_eq!(code, 501);
    assert!(String::from_utf8_lossy(&body).contains("mutex_profile_fraction"));
    let (code, _, _) = get(&addr, "/elsewhere").await;
    assert_eq!(code, 404);

    ext.shutdown(Instant::now() + Duration::from_secs(1)).await;
    assert!(
        tokio::net::TcpStream::connect(&addr).await.is_err(),
        "port closed"
    );
}

#[cfg(not(feature = "heap-profiling"))]
#[tokio::test]
async fn heap_without_the_feature_says_how_to_build_it() {
    let _turn = SERIAL.lock().await;
    let addr = free_addr();
    let ext = start(PprofConfig {
        endpoint: addr.clone(),
        ..Default::default()
    })
    .await;
    for path in ["/debug/pprof/heap", "/debug/pprof/allocs"] {
        let (code, head, body) = get(&addr, path).await;
        assert_eq!(code, 501);
        assert!(head.contains("text/plain"));
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("--features heap-profiling"), "{text}");
        assert!(text.contains("_RJEM_MALLOC_CONF=prof:true"), "{text}");
    }
    ext.shutdown(Instant::now() + Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_to_file_profiles_the_whole_lifetime() {
    let _turn = SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpu.pprof");
    let addr = free_addr();
    let ext = start(PprofConfig {
        endpoint: addr.clone(),
        save_to_file: path.to_string_lossy().into_owned(),
        ..Default::default()
    })
    .await;
    assert!(path.exists(), "created at start");

    // One CPU profiler per process: a request while the lifetime profile runs gets Go's error.
    let (code, head, body) = get(&addr, "/debug/pprof/profile?seconds=1").await;
    assert_eq!(code, 500);
    assert!(head.contains("x-go-pprof: 1"));
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "Could not enable CPU profiling: cpu profiling already in use\n"
    );

    burn(Duration::from_millis(500)).join().unwrap();
    ext.shutdown(Instant::now() + Duration::from_secs(5)).await;
    let p = check_cpu_profile(&std::fs::read(&path).unwrap());
    assert!(!p.sample.is_empty());

    // The profiler is free again.
    let ext = start(PprofConfig {
        endpoint: addr.clone(),
        ..Default::default()
    })
    .await;
    let (code, _, _) = get(&addr, "/debug/pprof/profile?seconds=1").await;
    assert_eq!(code, 200);
    ext.shutdown(Instant::now() + Duration::from_secs(1)).await;
}

#[tokio::test]
async fn start_errors_name_the_endpoint_and_one_instance_runs() {
    let _turn = SERIAL.lock().await;
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = create(PprofConfig {
        endpoint: addr.clone(),
        ..Default::default()
    })
    .start(&host())
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("failed to bind to address {addr}: ")),
        "{err}"
    );

    // A failed start does not hold the one-instance slot; a second instance is refused.
    let first = start(PprofConfig {
        endpoint: free_addr(),
        ..Default::default()
    })
    .await;
    let err = create(PprofConfig {
        endpoint: free_addr(),
        ..Default::default()
    })
    .start(&host())
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "only a single pprof extension instance can be running per process"
    );
    first
        .shutdown(Instant::now() + Duration::from_secs(1))
        .await;

    // An unwritable save_to_file fails the start and frees the slot again.
    let err = create(PprofConfig {
        endpoint: free_addr(),
        save_to_file: "/nonexistent-dir/cpu.pprof".into(),
        ..Default::default()
    })
    .start(&host())
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent-dir/cpu.pprof"),
        "{err}"
    );
    let again = start(PprofConfig {
        endpoint: free_addr(),
        ..Default::default()
    })
    .await;
    again
        .shutdown(Instant::now() + Duration::from_secs(1))
        .await;
}

/// With `heap-profiling`, the tests run on jemalloc, as ferrocol does.
#[cfg(feature = "heap-profiling")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc reads `prof:true` only at its first allocation, so the test runs itself again in a
/// child process started with it.
#[cfg(feature = "heap-profiling")]
#[test]
fn heap_profile_from_jemalloc() {
    const CHILD: &str = "FERROCOL_HEAP_PROFILE_TEST_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "pprof::tests::heap_profile_from_jemalloc",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .env(
                "_RJEM_MALLOC_CONF",
                "prof:true,prof_active:false,lg_prof_sample:12",
            )
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "child failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let addr = free_addr();
        let ext = start(PprofConfig {
            endpoint: addr.clone(),
            ..Default::default()
        })
        .await;
        // Allocated after the extension turned sampling on, and still held.
        let held: Vec<Vec<u8>> = (0..256).map(|i| vec![i as u8; 64 * 1024]).collect();
        for path in ["/debug/pprof/heap", "/debug/pprof/allocs"] {
            let (code, head, body) = get(&addr, path).await;
            assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
            assert!(head.contains("application/octet-stream"));
            let p = ReadProfile::decode(gunzip(&body).as_slice()).expect("a pprof Profile");
            let s = |i: i64| p.string_table[i as usize].as_str();
            let types: Vec<_> = p
                .sample_type
                .iter()
                .map(|t| (s(t.r#type), s(t.unit)))
                .collect();
            assert_eq!(types, [("inuse_space", "bytes")]);
            let bytes: i64 = p.sample.iter().map(|x| x.value[0]).sum();
            assert!(bytes >= 8 << 20, "16 MiB held, {bytes} bytes sampled");
        }
        drop(held);
        ext.shutdown(Instant::now() + Duration::from_secs(1)).await;
    });
}
