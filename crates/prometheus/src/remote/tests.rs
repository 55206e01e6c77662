use prost::Message;

use super::*;

fn series(name: &str, n: usize) -> TimeSeries {
    TimeSeries {
        labels: vec![
            Label {
                name: "__name__".into(),
                value: name.into(),
            },
            Label {
                name: "job".into(),
                value: "j".into(),
            },
        ],
        samples: (0..n)
            .map(|i| Sample {
                value: i as f64,
                timestamp: 1_700_000_000_000 + i as i64,
            })
            .collect(),
        ..Default::default()
    }
}

#[test]
fn a_request_round_trips_through_snappy_block_and_protobuf() {
    let request = WriteRequest {
        timeseries: vec![series("a", 2), series("b", 1)],
        metadata: vec![MetricMetadata {
            r#type: MetricType::Counter as i32,
            metric_family_name: "a".into(),
            help: "help".into(),
            unit: "".into(),
        }],
    };
    let body = encode_compressed(&request);
    // Block format: no stream identifier chunk (framed snappy starts with 0xff 0x06 0 0 sNaPpY).
    assert_ne!(body.first(), Some(&0xff));
    let back = decode_compressed(&body).unwrap();
    assert_eq!(back, request);
}

#[test]
fn wire_field_numbers_match_prompb() {
    // TimeSeries{1: Label{1: "a", 2: "b"}, 2: Sample{1: 1.0, 2: 5}}, hand-encoded.
    let ts = TimeSeries {
        labels: vec![Label {
            name: "a".into(),
            value: "b".into(),
        }],
        samples: vec![Sample {
            value: 1.0,
            timestamp: 5,
        }],
        ..Default::default()
    };
    let bytes = ts.encode_to_vec();
    let expected: Vec<u8> = vec![
        0x0a, 6, 0x0a, 1, b'a', 0x12, 1, b'b', // labels
        0x12, 11, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x10, 5, // samples
    ];
    assert_eq!(bytes, expected);
    // Native histogram: schema is sint32 (zigzag), deltas sint64.
    let h = Histogram {
        schema: -1,
        positive_deltas: vec![-1],
        count: Some(proto::histogram::Count::CountInt(3)),
        ..Default::default()
    };
    let bytes = h.encode_to_vec();
    assert_eq!(bytes, vec![0x08, 3, 0x20, 1, 0x62, 1, 1]);
}

#[test]
fn batches_never_exceed_the_limit() {
    let all: Vec<TimeSeries> = (0..100).map(|i| series(&format!("m{i}"), 5)).collect();
    let one = all[0].encoded_len();
    let limit = (one + 2) * 7 + 3;
    let (requests, oversized) = batch(all.clone(), Vec::new(), limit);
    assert_eq!(oversized, 0);
    assert!(requests.len() > 1);
    for r in &requests {
        assert!(r.encoded_len() <= limit, "{} > {limit}", r.encoded_len());
    }
    // Exactly full: 7 series per request.
    assert_eq!(requests[0].timeseries.len(), 7);
    let back: Vec<TimeSeries> = requests.into_iter().flat_map(|r| r.timeseries).collect();
    assert_eq!(back, all);
}

#[test]
fn an_oversized_series_travels_alone() {
    let (requests, oversized) = batch(
        vec![series("a", 1), series("big", 1000), series("c", 1)],
        Vec::new(),
        200,
    );
    assert_eq!(oversized, 1);
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[1].timeseries[0].labels[0].value, "big");
}

#[test]
fn metadata_follow_in_their_own_requests() {
    let meta = |n: &str| MetricMetadata {
        r#type: MetricType::Gauge as i32,
        metric_family_name: n.into(),
        help: String::new(),
        unit: String::new(),
    };
    let (requests, _) = batch(vec![series("a", 1)], vec![meta("a"), meta("b")], 1_000);
    assert_eq!(requests.len(), 2);
    assert!(requests[0].metadata.is_empty());
    assert_eq!(requests[1].metadata.len(), 2);
    assert!(requests[1].timeseries.is_empty());
}
