//! Table tests for the OTLP/JSON reader's rules (Go pdata compatibility).

use pdata::json::{self, JsonError, MAX_ANY_VALUE_DEPTH};
use pdata::proto::common::v1::AnyValue;
use pdata::proto::common::v1::any_value::Value as Av;
use pdata::proto::logs::v1::LogRecord;
use pdata::proto::metrics::v1::metric::Data;
use pdata::proto::metrics::v1::{NumberDataPoint, number_data_point};
use pdata::proto::trace::v1::Span;

/// Wraps a span object in a trace request and returns the decoded span.
fn span(span_json: &str) -> Result<Span, JsonError> {
    let doc = format!(r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{span_json}]}}]}}]}}"#);
    json::decode_traces(doc.as_bytes()).map(|mut r| {
        r.resource_spans
            .remove(0)
            .scope_spans
            .remove(0)
            .spans
            .remove(0)
    })
}

/// Wraps an AnyValue object as the body of a log record.
fn any(value_json: &str) -> Result<AnyValue, JsonError> {
    log(&format!(r#"{{"body":{value_json}}}"#)).map(|r| r.body.unwrap_or_default())
}

fn log(record_json: &str) -> Result<LogRecord, JsonError> {
    let doc = format!(r#"{{"resourceLogs":[{{"scopeLogs":[{{"logRecords":[{record_json}]}}]}}]}}"#);
    json::decode_logs(doc.as_bytes()).map(|mut r| {
        r.resource_logs
            .remove(0)
            .scope_logs
            .remove(0)
            .log_records
            .remove(0)
    })
}

/// Wraps a number data point in a gauge.
fn gauge_point(point_json: &str) -> Result<NumberDataPoint, JsonError> {
    let doc = format!(
        r#"{{"resourceMetrics":[{{"scopeMetrics":[{{"metrics":[{{"gauge":{{"dataPoints":[{point_json}]}}}}]}}]}}]}}"#
    );
    let mut req = json::decode_metrics(doc.as_bytes())?;
    match req
        .resource_metrics
        .remove(0)
        .scope_metrics
        .remove(0)
        .metrics
        .remove(0)
        .data
    {
        Some(Data::Gauge(mut g)) => Ok(g.data_points.remove(0)),
        other => panic!("not a gauge: {other:?}"),
    }
}

fn double(point_json_value: &str) -> Result<f64, JsonError> {
    match gauge_point(&format!(r#"{{"asDouble":{point_json_value}}}"#))?.value {
        Some(number_data_point::Value::AsDouble(v)) => Ok(v),
        other => panic!("not a double: {other:?}"),
    }
}

#[track_caller]
fn err_contains<T: std::fmt::Debug>(r: Result<T, JsonError>, needle: &str) -> JsonError {
    let e = r.expect_err("expected an error");
    let text = e.to_string();
    assert!(
        text.contains(needle),
        "error {text:?} does not contain {needle:?}"
    );
    e
}

#[test]
fn snake_case_keys_read_like_camel_case() {
    let camel = br#"{"resourceSpans":[{"resource":{"droppedAttributesCount":1},"schemaUrl":"s",
        "scopeSpans":[{"schemaUrl":"t","spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
        "spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","traceState":"a=b",
        "startTimeUnixNano":"1","endTimeUnixNano":"2","droppedAttributesCount":3,
        "droppedEventsCount":4,"droppedLinksCount":5,
        "events":[{"timeUnixNano":"6","droppedAttributesCount":7}],
        "links":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
        "traceState":"x","droppedAttributesCount":8,"flags":9}],
        "attributes":[{"key":"k","value":{"stringValue":"v"}}]}]}]}]}"#;
    let snake = br#"{"resource_spans":[{"resource":{"dropped_attributes_count":1},"schema_url":"s",
        "scope_spans":[{"schema_url":"t","spans":[{"trace_id":"5b8efff798038103d269b633813fc60c",
        "span_id":"eee19b7ec3c1b174","parent_span_id":"eee19b7ec3c1b173","trace_state":"a=b",
        "start_time_unix_nano":"1","end_time_unix_nano":"2","dropped_attributes_count":3,
        "dropped_events_count":4,"dropped_links_count":5,
        "events":[{"time_unix_nano":"6","dropped_attributes_count":7}],
        "links":[{"trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174",
        "trace_state":"x","dropped_attributes_count":8,"flags":9}],
        "attributes":[{"key":"k","value":{"string_value":"v"}}]}]}]}]}"#;
    let a = json::decode_traces(camel).unwrap();
    let b = json::decode_traces(snake).unwrap();
    assert_eq!(a, b);
    let s = &a.resource_spans[0].scope_spans[0].spans[0];
    assert_eq!(
        (
            s.dropped_links_count,
            s.links[0].flags,
            s.events[0].time_unix_nano
        ),
        (5, 9, 6)
    );

    let m = br#"{"resource_metrics":[{"scope_metrics":[{"metrics":[{"exponential_histogram":
        {"aggregation_temporality":2,"data_points":[{"zero_count":"3","zero_threshold":0.5,
        "start_time_unix_nano":1,"time_unix_nano":2,"positive":{"bucket_counts":[1,"2"]}}]}}]}]}]}"#;
    let m = json::decode_metrics(m).unwrap();
    let Some(Data::ExponentialHistogram(eh)) =
        &m.resource_metrics[0].scope_metrics[0].metrics[0].data
    else {
        panic!("exp histogram")
    };
    assert_eq!(eh.aggregation_temporality, 2);
    let dp = &eh.data_points[0];
    assert_eq!(
        (dp.zero_count, dp.zero_threshold, dp.time_unix_nano),
        (3, 0.5, 2)
    );
    assert_eq!(dp.positive.as_ref().unwrap().bucket_counts, vec![1, 2]);

    let l = log(
        r#"{"observed_time_unix_nano":"5","severity_number":9,"severity_text":"I",
        "dropped_attributes_count":"2","event_name":"e","trace_id":"","span_id":null}"#,
    )
    .unwrap();
    assert_eq!(
        (
            l.observed_time_unix_nano,
            l.severity_number,
            l.event_name.as_str()
        ),
        (5, 9, "e")
    );
}

#[test]
fn integers_as_strings_or_numbers() {
    let s = span(
        r#"{"startTimeUnixNano":1544712660000000000,"endTimeUnixNano":"18446744073709551615",
        "droppedAttributesCount":"3","flags":"257","droppedEventsCount":4,"kind":2}"#,
    )
    .unwrap();
    assert_eq!(s.start_time_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(s.end_time_unix_nano, u64::MAX);
    assert_eq!(
        (
            s.dropped_attributes_count,
            s.flags,
            s.dropped_events_count,
            s.kind
        ),
        (3, 257, 4, 2)
    );

    assert_eq!(
        any(r#"{"intValue":"-9223372036854775808"}"#).unwrap().value,
        Some(Av::IntValue(i64::MIN))
    );
    assert_eq!(
        any(r#"{"intValue":-7}"#).unwrap().value,
        Some(Av::IntValue(-7))
    );
    assert_eq!(
        any(r#"{"intValue":"+7"}"#).unwrap().value,
        Some(Av::IntValue(7))
    );
    let p = gauge_point(r#"{"asInt":"-5","flags":1}"#).unwrap();
    assert_eq!(
        (p.value, p.flags),
        (Some(number_data_point::Value::AsInt(-5)), 1)
    );
}

#[test]
fn integers_out_of_range_or_malformed_are_errors() {
    err_contains(span(r#"{"startTimeUnixNano":"-1"}"#), "invalid value");
    err_contains(
        span(r#"{"startTimeUnixNano":-1}"#),
        "out of range for uint64",
    );
    err_contains(
        span(r#"{"startTimeUnixNano":"18446744073709551616"}"#),
        "uint64",
    );
    err_contains(span(r#"{"startTimeUnixNano":1.5}"#), "floating point");
    err_contains(span(r#"{"startTimeUnixNano":"1.0"}"#), "uint64");
    err_contains(span(r#"{"startTimeUnixNano":" 1"}"#), "uint64");
    err_contains(span(r#"{"startTimeUnixNano":"+1"}"#), "uint64");
    err_contains(span(r#"{"startTimeUnixNano":""}"#), "uint64");
    err_contains(span(r#"{"startTimeUnixNano":true}"#), "uint64");
    err_contains(
        span(r#"{"droppedAttributesCount":4294967296}"#),
        "out of range for uint32",
    );
    err_contains(span(r#"{"droppedAttributesCount":"4294967296"}"#), "uint32");
    err_contains(any(r#"{"intValue":"9223372036854775808"}"#), "int64");
    err_contains(span(r#"{"kind":2147483648}"#), "out of range for int32");
}

#[test]
fn enums_as_names_or_numbers() {
    let s =
        span(r#"{"kind":"SPAN_KIND_SERVER","status":{"code":"STATUS_CODE_ERROR","message":"m"}}"#)
            .unwrap();
    assert_eq!(s.kind, 2);
    assert_eq!(
        s.status.as_ref().map(|s| (s.code, s.message.as_str())),
        Some((2, "m"))
    );
    // Unknown numbers are kept, as in Go.
    assert_eq!(span(r#"{"kind":42}"#).unwrap().kind, 42);
    err_contains(
        span(r#"{"kind":"SERVER"}"#),
        r#"unknown SpanKind value name "SERVER""#,
    );
    err_contains(span(r#"{"kind":"span_kind_server"}"#), "unknown SpanKind");
    // Go looks a string up by name only.
    err_contains(
        span(r#"{"kind":"2"}"#),
        r#"unknown SpanKind value name "2""#,
    );

    let m = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[
        {"sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","isMonotonic":true}},
        {"histogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA"}}]}]}]}"#;
    let m = json::decode_metrics(m).unwrap();
    let metrics = &m.resource_metrics[0].scope_metrics[0].metrics;
    let Some(Data::Sum(sum)) = &metrics[0].data else {
        panic!("sum")
    };
    assert_eq!((sum.aggregation_temporality, sum.is_monotonic), (2, true));
    let Some(Data::Histogram(h)) = &metrics[1].data else {
        panic!("histogram")
    };
    assert_eq!(h.aggregation_temporality, 1);

    assert_eq!(
        log(r#"{"severityNumber":"SEVERITY_NUMBER_INFO"}"#)
            .unwrap()
            .severity_number,
        9
    );
    err_contains(
        log(r#"{"severityNumber":"INFO"}"#),
        "unknown SeverityNumber",
    );
}

#[test]
fn null_is_the_default() {
    let s = span(
        r#"{"traceId":null,"spanId":null,"traceState":null,"parentSpanId":null,"flags":null,
        "name":null,"kind":null,"startTimeUnixNano":null,"endTimeUnixNano":null,"attributes":null,
        "droppedAttributesCount":null,"events":[null],"droppedEventsCount":null,"links":null,
        "droppedLinksCount":null,"status":null}"#,
    )
    .unwrap();
    assert_eq!(
        s,
        Span {
            events: vec![Default::default()],
            ..Default::default()
        }
    );

    let r = json::decode_traces(br#"{"resourceSpans":[{"resource":null,"scopeSpans":[{"scope":null,"spans":null}],"schemaUrl":null}]}"#).unwrap();
    assert_eq!(r.resource_spans[0].resource, None);
    assert!(r.resource_spans[0].scope_spans[0].spans.is_empty());
    assert_eq!(json::decode_traces(b"null").unwrap(), Default::default());
    assert_eq!(
        json::decode_traces(br#"{"resourceSpans":null}"#).unwrap(),
        Default::default()
    );

    // A oneof member named with null is selected at its default, as in Go.
    assert_eq!(
        any(r#"{"stringValue":null}"#).unwrap().value,
        Some(Av::StringValue(String::new()))
    );
    assert_eq!(
        any(r#"{"arrayValue":null}"#).unwrap().value,
        Some(Av::ArrayValue(Default::default()))
    );
    let p =
        gauge_point(r#"{"asDouble":null,"exemplars":[{"asInt":null,"traceId":null}]}"#).unwrap();
    assert_eq!(p.value, Some(number_data_point::Value::AsDouble(0.0)));

    let h = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"histogram":{"dataPoints":[
        {"sum":null,"min":null,"max":null,"count":null,"bucketCounts":null,"explicitBounds":null}]}}]}]}]}"#;
    let h = json::decode_metrics(h).unwrap();
    let Some(Data::Histogram(h)) = &h.resource_metrics[0].scope_metrics[0].metrics[0].data else {
        panic!()
    };
    assert_eq!(h.data_points[0], Default::default());
}

#[test]
fn doubles_accept_go_parsefloat_strings() {
    assert!(double(r#""NaN""#).unwrap().is_nan());
    assert!(double(r#""nan""#).unwrap().is_nan());
    assert_eq!(double(r#""Infinity""#).unwrap(), f64::INFINITY);
    assert_eq!(double(r#""-Infinity""#).unwrap(), f64::NEG_INFINITY);
    assert_eq!(double(r#""+Inf""#).unwrap(), f64::INFINITY);
    assert_eq!(double(r#""-inf""#).unwrap(), f64::NEG_INFINITY);
    assert_eq!(double(r#""1.5""#).unwrap(), 1.5);
    assert_eq!(double(r#""-2.5e3""#).unwrap(), -2500.0);
    assert_eq!(double(r#"".5""#).unwrap(), 0.5);
    assert_eq!(double(r#""0x1.8p1""#).unwrap(), 3.0);
    assert_eq!(double(r#""-0x10p-4""#).unwrap(), -1.0);
    assert_eq!(double("7").unwrap(), 7.0);
    assert_eq!(double("-7").unwrap(), -7.0);
    assert_eq!(double("1e-400").unwrap(), 0.0);
    assert_eq!(double("0.1").unwrap(), 0.1);
    assert_eq!(double("1.7976931348623157e308").unwrap(), f64::MAX);

    err_contains(double(r#""abc""#), "invalid value");
    err_contains(double(r#""""#), "invalid value");
    err_contains(double(r#""-nan""#), "invalid value");
    err_contains(double(r#""1e400""#), "invalid value");
    err_contains(double(r#""0x1.8""#), "invalid value");
    err_contains(double(r#"" 1""#), "invalid value");
    err_contains(double("1e400"), "number out of range");
    err_contains(double("true"), "invalid type");

    let q = br#"{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"summary":{"dataPoints":[
        {"sum":"Infinity","quantileValues":[{"quantile":0.5,"value":"NaN"}]}]}}]}]}]}"#;
    let q = json::decode_metrics(q).unwrap();
    let Some(Data::Summary(s)) = &q.resource_metrics[0].scope_metrics[0].metrics[0].data else {
        panic!()
    };
    assert_eq!(s.data_points[0].sum, f64::INFINITY);
    assert!(s.data_points[0].quantile_values[0].value.is_nan());
}

#[test]
fn ids_are_hex() {
    let s = span(r#"{"traceId":"5B8EFFF798038103d269b633813fc60c","spanId":"EEE19B7EC3C1B174","parentSpanId":""}"#).unwrap();
    assert_eq!(hex::encode(&s.trace_id), "5b8efff798038103d269b633813fc60c");
    assert_eq!(hex::encode(&s.span_id), "eee19b7ec3c1b174");
    assert!(s.parent_span_id.is_empty());

    let e = err_contains(
        span(r#"{"traceId":"5b8efff798038103d269b633813fc6"}"#),
        "invalid length 15 for trace id (want 16 bytes)",
    );
    assert_eq!(e.path(), "resourceSpans[0].scopeSpans[0].spans[0].traceId");
    err_contains(
        span(r#"{"spanId":"eee19b7ec3c1b17"}"#),
        "invalid length 7 for span id (want 8 bytes)",
    );
    err_contains(
        span(r#"{"spanId":"eee19b7ec3c1b1745"}"#),
        "odd number of hex digits",
    );
    err_contains(span(r#"{"spanId":"eee19b7ec3c1b17g"}"#), "invalid span id");
    err_contains(
        span(r#"{"parentSpanId":"zz"}"#),
        "invalid length 1 for span id",
    );
    err_contains(span(r#"{"spanId":12}"#), "invalid type");
    err_contains(log(r#"{"traceId":"00"}"#), "invalid length 1 for trace id");
    err_contains(
        gauge_point(r#"{"exemplars":[{"spanId":"x"}]}"#),
        "exemplars[0].spanId",
    );
}

#[test]
fn bytes_are_padded_standard_base64() {
    assert_eq!(
        any(r#"{"bytesValue":"AAEC/w=="}"#).unwrap().value,
        Some(Av::BytesValue(vec![0, 1, 2, 255].into()))
    );
    assert_eq!(
        any(r#"{"bytesValue":""}"#).unwrap().value,
        Some(Av::BytesValue(Default::default()))
    );
    // Go's decoder skips CR and LF.
    assert_eq!(
        any(r#"{"bytesValue":"AAEC\r\n/w=="}"#).unwrap().value,
        Some(Av::BytesValue(vec![0, 1, 2, 255].into()))
    );
    err_contains(any(r#"{"bytesValue":"AAEC/w"}"#), "invalid base64");
    err_contains(any(r#"{"bytesValue":"AAEC_w=="}"#), "invalid base64");
    err_contains(any(r#"{"bytesValue":"!!!!"}"#), "invalid base64");
    err_contains(any(r#"{"bytesValue":[1,2]}"#), "invalid type");
}

#[test]
fn any_values_of_every_kind() {
    let v = any(r#"{"kvlistValue":{"values":[
        {"key":"s","value":{"stringValue":"x"}},{"key":"b","value":{"boolValue":true}},
        {"key":"i","value":{"intValue":"1"}},{"key":"d","value":{"doubleValue":"NaN"}},
        {"key":"a","value":{"arrayValue":{"values":[{"intValue":2},{}]}}},
        {"key":"y","value":{"bytesValue":"AQ=="}},{"key":"n"}]}}"#)
    .unwrap();
    let Some(Av::KvlistValue(kv)) = v.value else {
        panic!("kvlist")
    };
    let vals: Vec<_> = kv
        .values
        .iter()
        .map(|kv| kv.value.as_ref().map(|v| v.value.clone()))
        .collect();
    assert_eq!(vals[0], Some(Some(Av::StringValue("x".into()))));
    assert_eq!(vals[1], Some(Some(Av::BoolValue(true))));
    assert_eq!(vals[2], Some(Some(Av::IntValue(1))));
    assert!(matches!(vals[3], Some(Some(Av::DoubleValue(d))) if d.is_nan()));
    let Some(Some(Av::ArrayValue(a))) = &vals[4] else {
        panic!("array")
    };
    assert_eq!(
        a.values,
        vec![
            AnyValue {
                value: Some(Av::IntValue(2))
            },
            AnyValue { value: None }
        ]
    );
    assert_eq!(vals[5], Some(Some(Av::BytesValue(vec![1].into()))));
    assert_eq!(vals[6], None);
    // The last oneof member named wins, as in Go.
    assert_eq!(
        any(r#"{"stringValue":"a","intValue":"3"}"#).unwrap().value,
        Some(Av::IntValue(3))
    );
    err_contains(any(r#"{"boolValue":"true"}"#), "invalid type");
}

#[test]
fn unknown_fields_are_skipped() {
    let s = span(
        r#"{"name":"n","unknown":{"deep":[[[[{"x":[1,2,{"y":null}]}]]]]},"deprecatedScopeSpans":[],
        "kind":1,"stringValueStrindex":3,"other":"\u00e9"}"#,
    )
    .unwrap();
    assert_eq!((s.name.as_str(), s.kind), ("n", 1));
    // Deeply nested unknown values are skipped without recursion.
    let deep = format!(
        r#"{{"x":{}{},"resourceSpans":[]}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(
        json::decode_traces(deep.as_bytes()).unwrap(),
        Default::default()
    );
}

#[test]
fn repeated_keys_append_and_scalars_overwrite() {
    let s =
        span(r#"{"attributes":[{"key":"a"}],"name":"x","attributes":[{"key":"b"}],"name":"y"}"#)
            .unwrap();
    let keys: Vec<_> = s.attributes.iter().map(|kv| kv.key.as_str()).collect();
    assert_eq!((keys, s.name.as_str()), (vec!["a", "b"], "y"));
}

fn nested_array(depth: usize) -> String {
    let open = r#"{"arrayValue":{"values":["#;
    let close = "]}}";
    format!(
        r#"{}{{"intValue":"1"}}{}"#,
        open.repeat(depth - 1),
        close.repeat(depth - 1)
    )
}

#[test]
fn any_value_depth_is_capped() {
    let ok = MAX_ANY_VALUE_DEPTH as usize;
    any(&nested_array(ok)).expect("the maximum depth is accepted");
    let e = err_contains(
        any(&nested_array(ok + 1)),
        "AnyValue nesting exceeds the maximum depth of 128",
    );
    assert!(
        e.path()
            .starts_with("resourceLogs[0].scopeLogs[0].logRecords[0].body.arrayValue.values[0]")
    );
    // Far deeper than the cap must fail cleanly too, not overflow the stack.
    err_contains(any(&nested_array(100_000)), "maximum depth");
    let kv = format!(
        r#"{{"kvlistValue":{{"values":[{{"key":"k","value":{}}}]}}}}"#,
        nested_array(ok)
    );
    err_contains(any(&kv), "maximum depth");
    // Kvlists nest through KeyValue, with more frames per level: the cap must still fit.
    let open = r#"{"kvlistValue":{"values":[{"key":"k","value":"#;
    let nested_kv = format!(
        r#"{}{{"intValue":"1"}}{}"#,
        open.repeat(ok - 1),
        "}]}}".repeat(ok - 1)
    );
    any(&nested_kv).expect("128 nested kvlists are accepted");
}

#[test]
fn malformed_documents_are_errors() {
    let full = br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a"}]}]}]}"#;
    for cut in 0..full.len() {
        let r = json::decode_traces(&full[..cut]);
        assert!(r.is_err(), "truncated at {cut} decoded: {r:?}");
    }
    err_contains(json::decode_traces(b""), "EOF");
    err_contains(
        json::decode_traces(br#"{"resourceSpans":[]} x"#),
        "trailing characters",
    );
    err_contains(
        json::decode_traces(br#"{"resourceSpans":[]}{}"#),
        "trailing characters",
    );
    err_contains(
        json::decode_traces(b"[]"),
        "expected an ExportTraceServiceRequest object",
    );
    err_contains(
        json::decode_traces(br#"{"resourceSpans":{}}"#),
        "expected an array of a ResourceSpans object",
    );
    err_contains(
        json::decode_traces(br#"{"resourceSpans":[1]}"#),
        "expected a ResourceSpans object",
    );
    err_contains(span(r#"{"name":5}"#), "expected a string");
    err_contains(span(r#"{"name":"a",}"#), "trailing comma");
    err_contains(span(r#"{'name':"a"}"#), "key must be a string");
    // serde_json rejects lone surrogates (Go would substitute U+FFFD).
    err_contains(span(r#"{"name":"\ud800"}"#), "escape");
    // Invalid UTF-8 inside a string and outside one.
    err_contains(
        json::decode_traces(b"{\"resourceSpans\":[{\"schemaUrl\":\"\xff\"}]}"),
        "invalid unicode",
    );
    assert!(json::decode_traces(b"{\"resourceSpans\":[]}\xff").is_err());
    assert!(
        json::decode_traces(b"\xef\xbb\xbf{}").is_err(),
        "a BOM is not JSON"
    );
}

#[test]
fn errors_carry_path_and_offset() {
    let doc = br#"{"resourceSpans":[{"scopeSpans":[{},{"spans":[{},{},{},{"traceId":"5b8efff798038103d269b633813fc6"}]}]}]}"#;
    let e = json::decode_traces(doc).unwrap_err();
    assert_eq!(e.path(), "resourceSpans[0].scopeSpans[1].spans[3].traceId");
    assert_eq!(
        e.message(),
        "invalid length 15 for trace id (want 16 bytes)"
    );
    let offset = e.offset().expect("offset");
    let closing_quote = doc.windows(2).position(|w| w == br#"c6"#).unwrap() + 2;
    assert_eq!(
        offset, closing_quote,
        "offset points at the last byte of the bad value"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "resourceSpans[0].scopeSpans[1].spans[3].traceId: invalid length 15 for trace id (want 16 bytes) (at byte {offset}, line 1 column {})",
            offset + 1
        )
    );

    let multi = b"{\n  \"resourceSpans\": [\n    {\"schemaUrl\": 1}\n  ]\n}";
    let e = json::decode_traces(multi).unwrap_err();
    assert_eq!(e.path(), "resourceSpans[0].schemaUrl");
    let (line, _) = e.line_column();
    assert_eq!(line, 3);
    assert_eq!(
        &multi[..=e.offset().unwrap()],
        &b"{\n  \"resourceSpans\": [\n    {\"schemaUrl\": 1"[..]
    );
}

#[test]
fn responses_and_status_read() {
    let r = json::decode_trace_response(
        br#"{"partialSuccess":{"rejectedSpans":"3","errorMessage":"bad"}}"#,
    )
    .unwrap();
    let ps = r.partial_success.unwrap();
    assert_eq!((ps.rejected_spans, ps.error_message.as_str()), (3, "bad"));
    let r = json::decode_metrics_response(br#"{"partial_success":{"rejected_data_points":2}}"#)
        .unwrap();
    assert_eq!(r.partial_success.unwrap().rejected_data_points, 2);
    let r = json::decode_logs_response(br#"{"partialSuccess":{"rejectedLogRecords":-1}}"#).unwrap();
    assert_eq!(r.partial_success.unwrap().rejected_log_records, -1);
    assert_eq!(
        json::decode_logs_response(b"{}").unwrap().partial_success,
        None
    );
    err_contains(
        json::decode_trace_response(br#"{"partialSuccess":{"rejectedSpans":"x"}}"#),
        "partialSuccess.rejectedSpans",
    );

    let s = json::decode_status(
        br#"{"code":3,"message":"m","details":[{"@type":"type.googleapis.com/x","value":"AQI="},
        {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"r"}]}"#,
    )
    .unwrap();
    assert_eq!((s.code, s.message.as_str(), s.details.len()), (3, "m", 2));
    assert_eq!(s.details[0].value, vec![1, 2]);
    assert_eq!(
        s.details[1].type_url,
        "type.googleapis.com/google.rpc.ErrorInfo"
    );
}
