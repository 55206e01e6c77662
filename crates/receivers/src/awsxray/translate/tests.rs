//! Segment documents in the shapes X-Ray SDKs send (the fixtures follow upstream's
//! `internal/aws/xray/testdata` corpus) → spans.

use pdata::proto::common::v1::{AnyValue, KeyValue, any_value::Value as V};
use pdata::proto::trace::v1::{Span, span::SpanKind, status::StatusCode};

use super::*;

fn load(name: &str) -> ResourceSpans {
    let path = format!("{}/src/awsxray/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
    let body = std::fs::read(&path).expect("fixture");
    let seg = parse(&body).expect("valid segment");
    to_resource_spans(&seg).expect("translates")
}

fn attr<'a>(kvs: &'a [KeyValue], key: &str) -> Option<&'a V> {
    kvs.iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn s(kvs: &[KeyValue], key: &str) -> Option<String> {
    match attr(kvs, key) {
        Some(V::StringValue(s)) => Some(s.clone()),
        _ => None,
    }
}

fn spans(rs: &ResourceSpans) -> &[Span] {
    &rs.scope_spans[0].spans
}

const TRACE: [u8; 16] = [
    0x5f, 0x18, 0x72, 0x53, 0x6a, 0x10, 0x66, 0x96, 0xd5, 0x6b, 0x1f, 0x4e, 0xf9, 0xeb, 0xa2, 0xed,
];

#[test]
fn segment_with_nested_subsegments_becomes_a_span_tree() {
    let rs = load("server_sample.json");
    let sp = spans(&rs);
    assert_eq!(sp.len(), 4);
    let names: Vec<&str> = sp.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["SampleServer", "dynamodb", "attempt", "connect"]);
    assert!(sp.iter().all(|s| s.trace_id.as_ref() == TRACE));
    assert_eq!(
        sp[0].span_id.as_ref(),
        [0x5c, 0xc4, 0xa4, 0x47, 0xf5, 0xd4, 0xd6, 0x96]
    );
    assert!(sp[0].parent_span_id.is_empty());
    assert_eq!(sp[1].parent_span_id, sp[0].span_id);
    assert_eq!(sp[2].parent_span_id, sp[1].span_id);
    assert_eq!(sp[3].parent_span_id, sp[2].span_id);

    assert_eq!(sp[0].kind, SpanKind::Server as i32);
    assert_eq!(sp[1].kind, SpanKind::Client as i32);
    assert_eq!(sp[2].kind, SpanKind::Internal as i32);
    assert_eq!(sp[3].kind, SpanKind::Client as i32);
    assert_eq!(sp[0].start_time_unix_nano, 1_595_437_651_680_097_000);
    assert_eq!(sp[0].end_time_unix_nano, 1_595_437_652_197_392_000);

    let a = &sp[0].attributes;
    assert_eq!(s(a, "http.method").as_deref(), Some("GET"));
    assert_eq!(s(a, "http.url").as_deref(), Some("http://localhost:8000/"));
    assert_eq!(s(a, "http.client_ip").as_deref(), Some("127.0.0.1"));
    assert_eq!(
        s(a, "http.user_agent").as_deref(),
        Some("Go-http-client/1.1")
    );
    assert_eq!(attr(a, "http.status_code"), Some(&V::IntValue(200)));
    assert_eq!(s(a, "http.response_content_length").as_deref(), Some("12"));
    assert_eq!(
        attr(a, "aws.xray.x_forwarded_for"),
        Some(&V::BoolValue(true))
    );
    assert_eq!(s(a, "enduser.id").as_deref(), Some("alice"));
    assert_eq!(s(a, "aws.account_id").as_deref(), Some("123456789012"));
    // Annotations keep their types and are listed for the exporter.
    assert_eq!(s(a, "zip").as_deref(), Some("98101"));
    assert_eq!(attr(a, "retries"), Some(&V::IntValue(3)));
    assert_eq!(attr(a, "ratio"), Some(&V::DoubleValue(0.5)));
    assert_eq!(attr(a, "cached"), Some(&V::BoolValue(false)));
    match attr(a, "aws.xray.annotations") {
        Some(V::ArrayValue(arr)) => assert_eq!(arr.values.len(), 4),
        other => panic!("annotation keys: {other:?}"),
    }
    // Metadata namespaces as JSON strings with sorted keys (Go's map order).
    assert_eq!(
        s(a, "aws.xray.metadata.default").as_deref(),
        Some(r#"{"a":{"y":"\u003cz\u003e"},"b":[1,2]}"#)
    );
    assert_eq!(
        s(a, "aws.xray.metadata.orders").as_deref(),
        Some(r#"{"count":2}"#)
    );
    assert_eq!(
        sp[0].status.as_ref().unwrap().code,
        StatusCode::Unset as i32
    );

    let d = &sp[1].attributes;
    assert_eq!(s(d, "aws.service").as_deref(), Some("dynamodb"));
    assert_eq!(s(d, "aws.operation").as_deref(), Some("DescribeTable"));
    assert_eq!(s(d, "aws.region").as_deref(), Some("us-west-2"));
    assert_eq!(s(d, "aws.request_id").as_deref(), Some("R1"));
    assert_eq!(s(d, "aws.table_name").as_deref(), Some("xray_sample_table"));
    assert_eq!(attr(d, "aws.xray.retries"), Some(&V::IntValue(1)));
    assert_eq!(
        attr(d, "http.response_content_length"),
        Some(&V::IntValue(61))
    );
    assert_eq!(
        attr(&sp[3].attributes, "aws.xray.traced"),
        Some(&V::BoolValue(true))
    );

    let r = &rs.resource.as_ref().unwrap().attributes;
    assert_eq!(s(r, "cloud.provider").as_deref(), Some("aws"));
    assert_eq!(s(r, "cloud.account.id").as_deref(), Some("123456789012"));
    assert_eq!(s(r, "host.id").as_deref(), Some("i-0abc"));
    assert_eq!(
        s(r, "cloud.availability_zone").as_deref(),
        Some("us-west-2a")
    );
    assert_eq!(s(r, "telemetry.sdk.name").as_deref(), Some("X-Ray for Go"));
    assert_eq!(s(r, "telemetry.sdk.language").as_deref(), Some("Go"));
    assert_eq!(s(r, "telemetry.sdk.version").as_deref(), Some("1.1.0"));
    assert_eq!(s(r, "service.version").as_deref(), Some("go1.14.6"));
    assert_eq!(
        s(r, "aws.xray.resource_arn").as_deref(),
        Some("arn:aws:ec2:us-west-2:123456789012:instance/i-0abc")
    );
}

#[test]
fn in_progress_segment_has_no_end() {
    let rs = load("in_progress.json");
    let sp = &spans(&rs)[0];
    assert_eq!(sp.end_time_unix_nano, 0);
    assert_eq!(
        attr(&sp.attributes, "aws.xray.inprogress"),
        Some(&V::BoolValue(true))
    );
    assert_eq!(
        s(&rs.resource.as_ref().unwrap().attributes, "cloud.provider").as_deref(),
        Some("unknown")
    );
}

#[test]
fn independent_subsegment_keeps_its_parent_and_sql() {
    let rs = load("indep_subsegment_sql.json");
    let sp = &spans(&rs)[0];
    assert_eq!(
        sp.parent_span_id.as_ref(),
        [0x5c, 0xc4, 0xa4, 0x47, 0xf5, 0xd4, 0xd6, 0x96]
    );
    assert_eq!(sp.kind, SpanKind::Client as i32);
    let a = &sp.attributes;
    assert_eq!(
        s(a, "db.connection_string").as_deref(),
        Some("postgresql://db.example.com:5432")
    );
    assert_eq!(s(a, "db.name").as_deref(), Some("customers"));
    assert_eq!(s(a, "db.system").as_deref(), Some("PostgreSQL"));
    assert_eq!(s(a, "db.statement").as_deref(), Some("SELECT 1"));
    assert_eq!(s(a, "db.user").as_deref(), Some("app"));
}

#[test]
fn exceptions_become_exception_events() {
    let rs = load("cause_exceptions.json");
    let sp = &spans(&rs)[0];
    assert_eq!(sp.status.as_ref().unwrap().code, StatusCode::Error as i32);
    assert_eq!(sp.events.len(), 2);
    let e = &sp.events[0].attributes;
    assert_eq!(sp.events[0].name, "exception");
    assert_eq!(
        s(e, "aws.xray.exception.id").as_deref(),
        Some("e1e1e1e1e1e1e1e1")
    );
    assert_eq!(s(e, "exception.type").as_deref(), Some("ValueError"));
    assert_eq!(s(e, "exception.message").as_deref(), Some("bad"));
    assert_eq!(
        attr(e, "aws.xray.exception.remote"),
        Some(&V::BoolValue(false))
    );
    assert_eq!(
        s(e, "aws.xray.exception.cause").as_deref(),
        Some("e2e2e2e2e2e2e2e2")
    );
    assert_eq!(
        s(e, "exception.stacktrace").as_deref(),
        Some("ValueError: bad\n\tat run(/app/main.py: 7)\n\tat y(/app/x.py: <unknown>)\n")
    );
    // The SDK language is reported as Java when exceptions are present (upstream).
    assert_eq!(
        s(
            &rs.resource.as_ref().unwrap().attributes,
            "telemetry.sdk.language"
        )
        .as_deref(),
        Some("java")
    );

    let rs = load("cause_exception_id.json");
    let st = spans(&rs)[0].status.clone().unwrap();
    assert_eq!(st.code, StatusCode::Error as i32);
    assert_eq!(st.message, "abcdef0123456789");
}

#[test]
fn invalid_documents_are_refused_with_their_span_count() {
    let (e, n) = parse(b"{not json").unwrap_err();
    assert_eq!(n, 1);
    assert!(e.to_string().starts_with("failed to parse segment"), "{e}");
    let (e, n) = parse(
        br#"{"name":"a","id":"1111111111111111","start_time":1,"subsegments":[{"name":"b","id":"2222222222222222","start_time":1}]}"#,
    )
    .unwrap_err();
    assert_eq!(n, 2);
    assert_eq!(e.to_string(), "segment \"trace_id\" can not be nil");
    let (e, _) = parse(br#"{"id":"1111111111111111","start_time":1,"trace_id":"1-5f187253-6a106696d56b1f4ef9eba2ed"}"#).unwrap_err();
    assert_eq!(e.to_string(), "segment \"name\" can not be nil");

    let seg = parse(br#"{"name":"a","id":"1111111111111111","start_time":1,"trace_id":"1-5f187253-6a106696d56b1f4ef9eba2ed","namespace":"elsewhere"}"#).unwrap();
    assert_eq!(
        to_resource_spans(&seg).unwrap_err().to_string(),
        "unexpected namespace: elsewhere"
    );
    let seg = parse(br#"{"name":"a","id":"xyz","start_time":1,"trace_id":"1-5f187253-6a106696d56b1f4ef9eba2ed"}"#).unwrap();
    assert!(to_resource_spans(&seg).is_err());
    let seg =
        parse(br#"{"name":"a","id":"1111111111111111","start_time":1,"trace_id":"abc"}"#).unwrap();
    assert!(to_resource_spans(&seg).is_err());
    let seg = parse(br#"{"name":"a","id":"1111111111111111","start_time":1,"trace_id":"1-5f187253-6a106696d56b1f4ef9eba2ed","sql":{"url":"no-db-name"}}"#).unwrap();
    assert_eq!(
        to_resource_spans(&seg).unwrap_err().to_string(),
        "failed to parse out the database name in the \"sql.url\" field, rawUrl: no-db-name"
    );
}

#[test]
fn sql_urls_split_like_upstream() {
    assert_eq!(
        split_sql_url("jdbc:postgresql://h:5432/db?sslmode=require"),
        Some(("jdbc:postgresql://h:5432", "db"))
    );
    assert_eq!(split_sql_url("mysql://h/a/b"), Some(("mysql://h/a", "b")));
    assert_eq!(split_sql_url("mysql://h/"), None);
    assert_eq!(split_sql_url("//h/db"), None);
    let _ = AnyValue::default();
}
