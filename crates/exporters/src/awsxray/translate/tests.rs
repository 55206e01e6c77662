//! Golden tests: one fixture per translation rule of upstream's translator, compared as whole
//! documents (the output is deterministic: ids come from a seeded source).

use pdata::proto::common::v1::{
    AnyValue, ArrayValue, KeyValue, KeyValueList, any_value::Value as V,
};
use pdata::proto::trace::v1::span::{Event, Link, SpanKind};
use pdata::proto::trace::v1::{Span, Status, status::StatusCode};

use super::*;

const TRACE: [u8; 16] = [
    0x5b, 0x8e, 0xfb, 0xf0, 0x2a, 0x1c, 0x4e, 0x6f, 0x8c, 0x23, 0x14, 0x9e, 0x11, 0x45, 0x2d, 0x0a,
];
const NOW: i64 = 0x5b8e_fbf0 + 60;

fn s(v: &str) -> AnyValue {
    AnyValue {
        value: Some(V::StringValue(v.to_string())),
    }
}
fn i(v: i64) -> AnyValue {
    AnyValue {
        value: Some(V::IntValue(v)),
    }
}
fn d(v: f64) -> AnyValue {
    AnyValue {
        value: Some(V::DoubleValue(v)),
    }
}
fn b(v: bool) -> AnyValue {
    AnyValue {
        value: Some(V::BoolValue(v)),
    }
}
fn arr(v: &[&str]) -> AnyValue {
    AnyValue {
        value: Some(V::ArrayValue(ArrayValue {
            values: v.iter().map(|x| s(x)).collect(),
        })),
    }
}
fn kv(k: &str, v: AnyValue) -> KeyValue {
    KeyValue {
        key: k.to_string(),
        value: Some(v),
    }
}

fn span(kind: SpanKind, parent: bool, attrs: Vec<KeyValue>) -> Span {
    Span {
        trace_id: TRACE.to_vec().into(),
        span_id: vec![1, 2, 3, 4, 5, 6, 7, 8].into(),
        parent_span_id: if parent {
            vec![0xa, 0xb, 0xc, 0xd, 0xe, 0xf, 0x1, 0x2].into()
        } else {
            Default::default()
        },
        name: "GET /users/{id}".to_string(),
        kind: kind as i32,
        start_time_unix_nano: 1_536_097_264_500_000_000,
        end_time_unix_nano: 1_536_097_264_750_000_000,
        attributes: attrs,
        ..Default::default()
    }
}

fn translator(opts: Options) -> Translator {
    Translator::with_ids(opts, IdSource::seeded(7))
}

fn doc(t: &Translator, sp: &Span, res: &[KeyValue]) -> String {
    let docs = t.documents(sp, res, NOW).expect("translates");
    assert_eq!(docs.len(), 1);
    docs[0].json.clone()
}

fn json(t: &Translator, sp: &Span, res: &[KeyValue]) -> Value {
    serde_json::from_str(&doc(t, sp, res)).expect("valid JSON")
}

#[test]
fn server_span_with_old_http_conventions_golden() {
    let sp = span(
        SpanKind::Server,
        false,
        vec![
            kv("http.method", s("GET")),
            kv("http.scheme", s("https")),
            kv("http.host", s("api.example.com")),
            kv("http.target", s("/users/42?x=<1>&y")),
            kv("http.status_code", i(200)),
            kv("http.user_agent", s("curl/8")),
            kv("http.client_ip", s("10.0.0.9")),
            kv("user.tier", s("gold")),
        ],
    );
    let res = vec![
        kv("service.name", s("checkout")),
        kv("service.version", s("1.2.3")),
        kv("cloud.provider", s("aws")),
        kv("cloud.platform", s("aws_ec2")),
        kv("host.id", s("i-0abc")),
        kv("telemetry.sdk.name", s("opentelemetry")),
        kv("telemetry.sdk.language", s("python")),
        kv("telemetry.sdk.version", s("1.45.2")),
    ];
    let t = translator(Options::default());
    assert_eq!(
        doc(&t, &sp, &res),
        concat!(
            r#"{"name":"checkout","id":"0102030405060708","start_time":1536097264.5,"service":{"version":"1.2.3"},"#,
            r#""origin":"AWS::EC2::Instance","trace_id":"1-5b8efbf0-2a1c4e6f8c23149e11452d0a","end_time":1536097264.7500002,"#,
            r#""http":{"request":{"x_forwarded_for":true,"method":"GET","url":"https://api.example.com/users/42?x=\u003c1\u003e\u0026y","user_agent":"curl/8","client_ip":"10.0.0.9"},"response":{"status":200,"content_length":0}},"#,
            r#""fault":false,"error":false,"throttle":false,"#,
            r#""aws":{"ec2":{"instance_id":"i-0abc","availability_zone":null,"instance_size":null,"ami_id":null},"xray":{"sdk":"opentelemetry for python","sdk_version":"1.45.2","auto_instrumentation":false}},"#,
            r#""metadata":{"default":{"otel.resource.cloud.platform":"aws_ec2","otel.resource.cloud.provider":"aws","otel.resource.host.id":"i-0abc","otel.resource.service.name":"checkout","otel.resource.service.version":"1.2.3","otel.resource.telemetry.sdk.language":"python","otel.resource.telemetry.sdk.name":"opentelemetry","otel.resource.telemetry.sdk.version":"1.45.2","user.tier":"gold"}}}"#,
            "\n"
        )
    );
}

#[test]
fn client_subsegment_with_new_http_conventions_golden() {
    let sp = span(
        SpanKind::Client,
        true,
        vec![
            kv("http.request.method", s("POST")),
            kv("url.full", s("http://inventory:8080/reserve")),
            kv("http.response.status_code", i(503)),
            kv("server.address", s("inventory")),
        ],
    );
    let res = vec![kv("service.name", s("checkout"))];
    let t = translator(Options::default());
    assert_eq!(
        doc(&t, &sp, &res),
        concat!(
            r#"{"name":"GET /users/id","id":"0102030405060708","start_time":1536097264.5,"#,
            r#""trace_id":"1-5b8efbf0-2a1c4e6f8c23149e11452d0a","end_time":1536097264.7500002,"#,
            r#""http":{"request":{"method":"POST","url":"http://inventory:8080/reserve"},"response":{"status":503,"content_length":0}},"#,
            r#""fault":true,"error":false,"throttle":false,"aws":{"xray":{"auto_instrumentation":false}},"#,
            r#""namespace":"remote","parent_id":"0a0b0c0d0e0f0102","type":"subsegment"}"#,
            "\n"
        )
    );
}

#[test]
fn server_url_is_built_from_new_conventions_path_and_query() {
    let sp = span(
        SpanKind::Server,
        false,
        vec![
            kv("http.request.method", s("GET")),
            kv("url.scheme", s("http")),
            kv("server.address", s("shop.local")),
            kv("server.port", i(8080)),
            kv("url.path", s("/cart")),
            kv("url.query", s("id=7")),
            kv("client.address", s("192.168.1.4")),
            kv("user_agent.original", s("ua")),
        ],
    );
    let v = json(&translator(Options::default()), &sp, &[]);
    assert_eq!(
        v["http"]["request"]["url"],
        "http://shop.local:8080/cart?id=7"
    );
    assert_eq!(v["http"]["request"]["client_ip"], "192.168.1.4");
    assert_eq!(v["http"]["request"]["x_forwarded_for"], true);
    assert_eq!(v["http"]["request"]["user_agent"], "ua");
}

#[test]
fn client_url_from_peer_attributes_drops_default_ports() {
    let sp = span(
        SpanKind::Client,
        true,
        vec![
            kv("http.method", s("GET")),
            kv("http.scheme", s("https")),
            kv("net.peer.name", s("example.com")),
            kv("net.peer.port", i(443)),
            kv("http.target", s("/a")),
        ],
    );
    let v = json(&translator(Options::default()), &sp, &[]);
    assert_eq!(v["http"]["request"]["url"], "https://example.com/a");
    // The socket peer is not a forwarded client address.
    let sp = span(
        SpanKind::Server,
        false,
        vec![
            kv("http.method", s("GET")),
            kv("net.peer.ip", s("1.2.3.4")),
            kv("net.host.name", s("h")),
            kv("net.host.port", i(81)),
        ],
    );
    let v = json(&translator(Options::default()), &sp, &[]);
    assert_eq!(v["http"]["request"]["url"], "http://h:81/");
    assert_eq!(v["http"]["request"]["client_ip"], "1.2.3.4");
    assert!(v["http"]["request"].get("x_forwarded_for").is_none());
}

#[test]
fn response_size_comes_from_received_message_events() {
    let mut sp = span(SpanKind::Client, true, vec![kv("http.method", s("GET"))]);
    sp.events.push(Event {
        name: "message".into(),
        attributes: vec![
            kv("message.type", s("RECEIVED")),
            kv("messaging.message_payload_size_bytes", i(321)),
        ],
        ..Default::default()
    });
    let v = json(&translator(Options::default()), &sp, &[]);
    assert_eq!(v["http"]["response"]["content_length"], 321);
}

#[test]
fn fault_error_throttle_follow_the_status_code_of_either_generation() {
    let t = translator(Options::default());
    let flags = |attrs: Vec<KeyValue>, status: Option<StatusCode>| {
        let mut sp = span(SpanKind::Server, false, attrs);
        sp.status = status.map(|c| Status {
            code: c as i32,
            message: String::new(),
        });
        let v = json(&t, &sp, &[]);
        (
            v["fault"].as_bool().unwrap(),
            v["error"].as_bool().unwrap(),
            v["throttle"].as_bool().unwrap(),
        )
    };
    assert_eq!(
        flags(vec![kv("http.status_code", i(404))], None),
        (false, true, false)
    );
    assert_eq!(
        flags(vec![kv("http.response.status_code", i(429))], None),
        (false, true, true)
    );
    assert_eq!(
        flags(vec![kv("http.response.status_code", i(502))], None),
        (true, false, false)
    );
    // The old key wins over the new one.
    assert_eq!(
        flags(
            vec![
                kv("http.status_code", i(200)),
                kv("http.response.status_code", i(500))
            ],
            Some(StatusCode::Error)
        ),
        (true, false, false)
    );
    assert_eq!(flags(vec![], Some(StatusCode::Error)), (true, false, false));
    assert_eq!(flags(vec![], Some(StatusCode::Ok)), (false, false, false));
    assert_eq!(
        flags(
            vec![kv("http.status_code", i(404))],
            Some(StatusCode::Error)
        ),
        (false, true, false)
    );
}

#[test]
fn error_status_without_exception_makes_a_cause_from_the_message() {
    let mut sp = span(
        SpanKind::Server,
        false,
        vec![kv("http.status_text", s("Bad Gateway")), kv("k", s("v"))],
    );
    sp.status = Some(Status {
        code: StatusCode::Error as i32,
        message: String::new(),
    });
    let v = json(&translator(Options::default()), &sp, &[]);
    let exc = &v["cause"]["exceptions"][0];
    assert_eq!(exc["message"], "Bad Gateway");
    assert_eq!(exc["type"], "");
    assert_eq!(exc["id"].as_str().unwrap().len(), 16);
    // `http.status_text` is consumed, the rest is metadata.
    assert_eq!(v["metadata"]["default"], serde_json::json!({"k": "v"}));

    sp.status = Some(Status {
        code: StatusCode::Error as i32,
        message: "boom".into(),
    });
    let v = json(&translator(Options::default()), &sp, &[]);
    assert_eq!(v["cause"]["exceptions"][0]["message"], "boom");

    sp.attributes.clear();
    sp.status = Some(Status {
        code: StatusCode::Error as i32,
        message: String::new(),
    });
    let v = json(&translator(Options::default()), &sp, &[]);
    assert!(v.get("cause").is_none());
    assert_eq!(v["fault"], true);
}

fn exception_event(kind: &str, message: &str, stack: &str) -> Event {
    Event {
        name: "exception".into(),
        attributes: vec![
            kv("exception.type", s(kind)),
            kv("exception.message", s(message)),
            kv("exception.stacktrace", s(stack)),
        ],
        ..Default::default()
    }
}

fn cause_of(lang: &str, kind: SpanKind, stack: &str) -> Value {
    let mut sp = span(kind, true, vec![]);
    sp.events.push(exception_event(
        "java.lang.IllegalStateException",
        "state is bad",
        stack,
    ));
    let res = vec![kv("telemetry.sdk.language", s(lang))];
    let t = translator(Options::default());
    json(&t, &sp, &res)["cause"].clone()
}

#[test]
fn java_stacks_with_caused_by_chains() {
    let stack = "java.lang.IllegalStateException: state is bad\n\
        \tat com.example.Foo.bar(Foo.java:42)\n\
        \tat java.base/com.example.Main.main(Main.java)\n\
        Caused by: java.io.IOException: disk\n  full\n\
        \tat com.example.Disk.write(Disk.java:7)\n\
        \t... 3 more\n";
    let c = cause_of("java", SpanKind::Client, stack);
    let ex = c["exceptions"].as_array().unwrap();
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0]["type"], "java.lang.IllegalStateException");
    assert_eq!(ex[0]["remote"], true);
    assert_eq!(
        ex[0]["stack"],
        serde_json::json!([
            {"path": "Foo.java", "line": 42, "label": "com.example.Foo.bar"},
            {"path": "Main.java", "line": 0, "label": "com.example.Main.main"}
        ])
    );
    assert_eq!(ex[0]["cause"], ex[1]["id"]);
    assert_eq!(ex[1]["type"], "java.io.IOException");
    assert_eq!(ex[1]["message"], "disk  full");
    assert_eq!(ex[1]["remote"], true);
    assert_eq!(
        ex[1]["stack"],
        serde_json::json!([{"path": "Disk.java", "line": 7, "label": "com.example.Disk.write"}])
    );
}

#[test]
fn python_stacks_are_read_bottom_up_with_chains() {
    let stack = "Traceback (most recent call last):\n  File \"/app/db.py\", line 10, in query\n    raise KeyError('k')\nKeyError: 'k'\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"/app/main.py\", line 3, in <module>\n    run()\n  File \"/app/main.py\", line 7, in run\n    raise ValueError('v')\nValueError: v\n";
    let c = cause_of("python", SpanKind::Server, stack);
    let ex = c["exceptions"].as_array().unwrap();
    assert_eq!(ex.len(), 2);
    assert_eq!(ex[0]["remote"], false);
    assert_eq!(
        ex[0]["stack"],
        serde_json::json!([
            {"path": "/app/main.py", "line": 7, "label": "run"},
            {"path": "/app/main.py", "line": 3, "label": "<module>"}
        ])
    );
    assert_eq!(ex[1]["type"], "KeyError");
    assert_eq!(ex[1]["message"], "'k'");
    assert_eq!(
        ex[1]["stack"],
        serde_json::json!([{"path": "/app/db.py", "line": 10, "label": "query"}])
    );
    assert_eq!(ex[0]["cause"], ex[1]["id"]);
}

#[test]
fn javascript_dotnet_and_go_stacks() {
    let js = "TypeError: x is undefined\n    at handler (/srv/app.js:12:5)\n    at /srv/lib.js:3:9\n    at Array.forEach (native)\n";
    let c = cause_of("javascript", SpanKind::Server, js);
    assert_eq!(
        c["exceptions"][0]["stack"],
        serde_json::json!([
            {"path": "/srv/app.js", "line": 12, "label": "handler "},
            {"path": "/srv/lib.js", "line": 3, "label": ""},
            {"path": "native", "line": 0, "label": "Array.forEach "}
        ])
    );
    let dotnet =
        "System.Exception: bad\n   at App.Run() in C:\\src\\App.cs:line 17\n   at App.Main()\n";
    let c = cause_of("dotnet", SpanKind::Server, dotnet);
    assert_eq!(
        c["exceptions"][0]["stack"],
        serde_json::json!([
            {"path": "C:\\src\\App.cs", "line": 17, "label": "App.Run()"},
            {"path": "", "line": 0, "label": "App.Main()"}
        ])
    );
    let go = "panic: boom\ngoroutine 1 [running]:\nmain.handler(0x1)\n\t/src/main.go:21 +0x1d\nmain.main()\n\t/src/main.go:9 +0x25\n";
    let c = cause_of("go", SpanKind::Server, go);
    assert_eq!(
        c["exceptions"][0]["stack"],
        serde_json::json!([
            {"path": "/src/main.go", "line": 21, "label": "main.handler(0x1)"},
            {"path": "/src/main.go", "line": 9, "label": "main.main()"}
        ])
    );
    // An unknown language keeps the exception without a stack.
    let c = cause_of("rust", SpanKind::Server, js);
    assert!(c["exceptions"][0].get("stack").is_none());
}

#[test]
fn aws_sdk_http_failure_events_become_remote_exceptions() {
    let mut sp = span(
        SpanKind::Client,
        true,
        vec![
            kv("rpc.system", s("aws-api")),
            kv("rpc.service", s("DynamoDB")),
            kv("rpc.method", s("GetItem")),
            kv("aws.request_id", s("R1")),
            kv("aws.dynamodb.table_names", arr(&["users"])),
        ],
    );
    sp.events.push(Event {
        name: "HTTP request failure".into(),
        time_unix_nano: 1_536_097_264_123_456_789,
        attributes: vec![
            kv("http.response.status_code", i(500)),
            kv("aws.http.error_message", s("internal")),
        ],
        ..Default::default()
    });
    let v = json(&translator(Options::default()), &sp, &[]);
    assert_eq!(v["name"], "DynamoDB");
    assert_eq!(v["namespace"], "aws");
    assert_eq!(v["aws"]["operation"], "GetItem");
    assert_eq!(v["aws"]["request_id"], "R1");
    assert_eq!(v["aws"]["table_name"], "users");
    let exc = &v["cause"]["exceptions"][0];
    assert_eq!(exc["type"], "aws.http.error.event");
    assert_eq!(exc["remote"], true);
    assert_eq!(exc["message"], "500@1536097264.123456@internal");
}

#[test]
fn segment_names_follow_upstream_precedence() {
    let t = translator(Options::default());
    let name = |kind: SpanKind, parent: bool, attrs: Vec<KeyValue>, res: Vec<KeyValue>| {
        json(&t, &span(kind, parent, attrs), &res)["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let svc = || vec![kv("service.name", s("res-svc"))];
    assert_eq!(
        name(
            SpanKind::Server,
            false,
            vec![
                kv("aws.local.service", s("local")),
                kv("peer.service", s("peer"))
            ],
            svc()
        ),
        "local"
    );
    assert_eq!(
        name(
            SpanKind::Client,
            true,
            vec![
                kv("aws.remote.service", s("AWS::S3")),
                kv("rpc.system", s("aws-api")),
                kv("peer.service", s("peer"))
            ],
            svc()
        ),
        "S3"
    );
    assert_eq!(
        name(
            SpanKind::Client,
            true,
            vec![kv("aws.remote.service", s("AWS::S3"))],
            svc()
        ),
        "AWS::S3"
    );
    assert_eq!(
        name(
            SpanKind::Client,
            true,
            vec![kv("peer.service", s("peer")), kv("aws.service", s("sqs"))],
            svc()
        ),
        "peer"
    );
    assert_eq!(
        name(
            SpanKind::Client,
            true,
            vec![kv("aws.service", s("sqs"))],
            svc()
        ),
        "sqs"
    );
    assert_eq!(
        name(
            SpanKind::Client,
            true,
            vec![
                kv("db.name", s("orders")),
                kv(
                    "db.connection_string",
                    s("jdbc:mysql://db.example.com:3306")
                )
            ],
            svc()
        ),
        "orders@db.example.com"
    );
    assert_eq!(name(SpanKind::Server, false, vec![], svc()), "res-svc");
    assert_eq!(
        name(
            SpanKind::Internal,
            true,
            vec![kv("rpc.service", s("Greeter")), kv("http.host", s("h"))],
            svc()
        ),
        "Greeter"
    );
    assert_eq!(
        name(
            SpanKind::Internal,
            true,
            vec![kv("http.host", s("h")), kv("net.peer.name", s("n"))],
            svc()
        ),
        "h"
    );
    assert_eq!(
        name(
            SpanKind::Internal,
            true,
            vec![kv("net.peer.name", s("n"))],
            svc()
        ),
        "n"
    );
    // The span name, cleaned: `{}` and `!` are not allowed.
    assert_eq!(
        name(SpanKind::Internal, true, vec![], svc()),
        "GET /users/id"
    );
    let mut sp = span(SpanKind::Internal, true, vec![]);
    sp.name = "!!!".into();
    assert_eq!(json(&t, &sp, &[])["name"], "span");
    sp.name = "é".repeat(150);
    assert_eq!(json(&t, &sp, &[])["name"].as_str().unwrap().len(), 200);
}

#[test]
fn namespace_aws_for_sdk_calls_remote_for_clients() {
    let t = translator(Options::default());
    let ns = |kind: SpanKind, attrs: Vec<KeyValue>| {
        json(&t, &span(kind, true, attrs), &[])
            .get("namespace")
            .cloned()
    };
    assert_eq!(ns(SpanKind::Client, vec![]), Some("remote".into()));
    assert_eq!(
        ns(SpanKind::Client, vec![kv("rpc.system", s("aws-api"))]),
        Some("aws".into())
    );
    assert_eq!(
        ns(SpanKind::Internal, vec![kv("aws.service", s("s3"))]),
        Some("aws".into())
    );
    assert_eq!(ns(SpanKind::Producer, vec![]), None);
    assert_eq!(
        ns(
            SpanKind::Producer,
            vec![kv("aws.remote.service", s("queue"))]
        ),
        Some("remote".into())
    );
    assert_eq!(ns(SpanKind::Internal, vec![]), None);
}

#[test]
fn segment_or_subsegment_and_resource_only_on_segments() {
    let t = translator(Options::default());
    let res = vec![kv("service.name", s("svc"))];
    // A server span with a parent (a remote caller) is still a segment.
    let v = json(&t, &span(SpanKind::Server, true, vec![]), &res);
    assert!(v.get("type").is_none());
    assert_eq!(v["parent_id"], "0a0b0c0d0e0f0102");
    assert_eq!(
        v["metadata"]["default"]["otel.resource.service.name"],
        "svc"
    );
    // A root internal span is a segment.
    let v = json(&t, &span(SpanKind::Internal, false, vec![]), &res);
    assert!(v.get("type").is_none());
    assert!(v.get("parent_id").is_none());
    // An internal child is a subsegment without resource metadata.
    let v = json(&t, &span(SpanKind::Internal, true, vec![]), &res);
    assert_eq!(v["type"], "subsegment");
    assert!(v.get("metadata").is_none());
}

#[test]
fn origins_by_platform() {
    let t = translator(Options::default());
    let origin = |res: Vec<KeyValue>| {
        json(&t, &span(SpanKind::Server, false, vec![]), &res)
            .get("origin")
            .cloned()
    };
    let p = |platform: &str| {
        vec![
            kv("cloud.provider", s("aws")),
            kv("cloud.platform", s(platform)),
        ]
    };
    assert_eq!(origin(p("aws_ec2")), Some("AWS::EC2::Instance".into()));
    assert_eq!(origin(p("aws_ecs")), Some("AWS::ECS::Container".into()));
    let mut fargate = p("aws_ecs");
    fargate.push(kv("aws.ecs.launchtype", s("fargate")));
    assert_eq!(origin(fargate), Some("AWS::ECS::Fargate".into()));
    let mut ec2 = p("aws_ecs");
    ec2.push(kv("aws.ecs.launchtype", s("ec2")));
    assert_eq!(origin(ec2), Some("AWS::ECS::EC2".into()));
    assert_eq!(origin(p("aws_eks")), Some("AWS::EKS::Container".into()));
    assert_eq!(
        origin(p("aws_elastic_beanstalk")),
        Some("AWS::ElasticBeanstalk::Environment".into())
    );
    assert_eq!(
        origin(p("aws_app_runner")),
        Some("AWS::AppRunner::Service".into())
    );
    assert_eq!(origin(p("aws_lambda")), None);
    assert_eq!(
        origin(vec![
            kv("cloud.provider", s("gcp")),
            kv("cloud.platform", s("aws_ec2"))
        ]),
        None
    );
}

#[test]
fn aws_block_for_ecs_eks_beanstalk_and_other_clouds() {
    let t = translator(Options::default());
    let aws =
        |res: Vec<KeyValue>| json(&t, &span(SpanKind::Server, false, vec![]), &res)["aws"].clone();
    let v = aws(vec![
        kv("cloud.provider", s("aws")),
        kv("cloud.platform", s("aws_ecs")),
        kv("cloud.account.id", s("123456789012")),
        kv("container.name", s("web")),
        kv("aws.ecs.task.arn", s("arn:task")),
        kv("aws.ecs.launchtype", s("fargate")),
    ]);
    assert_eq!(
        v,
        serde_json::json!({"ecs": {"container": "web", "task_arn": "arn:task", "launch_type": "fargate"},
            "xray": {"auto_instrumentation": false}, "account_id": "123456789012"})
    );
    let v = aws(vec![
        kv("k8s.cluster.name", s("prod")),
        kv("k8s.pod.name", s("web-1")),
        kv("telemetry.auto.version", s("2.0")),
    ]);
    assert_eq!(
        v,
        serde_json::json!({"eks": {"cluster_name": "prod", "pod": "web-1", "container_id": null},
            "xray": {"auto_instrumentation": true}})
    );
    let v = aws(vec![
        kv("cloud.platform", s("aws_elastic_beanstalk")),
        kv("service.namespace", s("env")),
        kv("service.instance.id", s("23")),
    ]);
    assert_eq!(
        v["elastic_beanstalk"],
        serde_json::json!({"environment_name": "env", "version_label": null, "deployment_id": 23})
    );
    let v = json(
        &t,
        &span(SpanKind::Server, false, vec![]),
        &[kv("cloud.provider", s("azure"))],
    );
    assert!(v.get("aws").is_none());
}

#[test]
fn log_groups_from_arns_names_or_config() {
    let opts = Options {
        log_groups: vec!["/cfg/group".into()],
        ..Default::default()
    };
    let t = translator(opts);
    let cwl = |res: Vec<KeyValue>| {
        json(&t, &span(SpanKind::Server, false, vec![]), &res)["aws"]["cloudwatch_logs"].clone()
    };
    assert_eq!(
        cwl(vec![
            kv(
                "aws.log.group.arns",
                arr(&["arn:aws:logs:us-east-1:123456789012:log-group:/app/a:*"])
            ),
            kv("aws.log.group.names", s("/ignored"))
        ]),
        serde_json::json!([{"log_group": "/app/a", "arn": "arn:aws:logs:us-east-1:123456789012:log-group:/app/a:*"}])
    );
    assert_eq!(
        cwl(vec![kv("aws.log.group.names", s("/a&/b&"))]),
        serde_json::json!([{"log_group": "/a"}, {"log_group": "/b"}])
    );
    assert_eq!(
        cwl(vec![]),
        serde_json::json!([{"log_group": "/cfg/group"}])
    );
}

#[test]
fn sql_block_only_for_sql_systems() {
    let t = translator(Options::default());
    let attrs = |system: &str| {
        vec![
            kv("db.system", s(system)),
            kv("db.name", s("customers")),
            kv("db.statement", s("SELECT * FROM c WHERE id = ?")),
            kv("db.user", s("app")),
            kv("db.connection_string", s("postgresql://db:5432")),
        ]
    };
    let v = json(&t, &span(SpanKind::Client, true, attrs("postgresql")), &[]);
    assert_eq!(
        v["sql"],
        serde_json::json!({"connection_string": "postgresql://db:5432/customers", "url": "GET /users/{id}",
            "sanitized_query": "SELECT * FROM c WHERE id = ?", "database_type": "postgresql", "user": "app"})
    );
    assert_eq!(v["name"], "customers@db");
    assert!(v.get("metadata").is_none());
    let v = json(&t, &span(SpanKind::Client, true, attrs("redis")), &[]);
    assert!(v.get("sql").is_none());
    assert_eq!(
        v["metadata"]["default"]["db.statement"],
        "SELECT * FROM c WHERE id = ?"
    );
}

#[test]
fn annotations_indexed_named_or_all_with_sanitised_keys() {
    let attrs = vec![
        kv("user.id", s("u1")),
        kv("retry-count", i(3)),
        kv("ratio", d(0.5)),
        kv("cached", b(true)),
        kv("tags", arr(&["a", "b"])),
        kv("http.method", s("GET")),
    ];
    let res = vec![kv("service.name", s("svc"))];
    let t = translator(Options {
        indexed_attributes: vec![
            "user.id".into(),
            "retry-count".into(),
            "http.method".into(),
            "tags".into(),
            "otel.resource.service.name".into(),
        ],
        ..Default::default()
    });
    let v = json(&t, &span(SpanKind::Server, false, attrs.clone()), &res);
    assert_eq!(
        v["annotations"],
        serde_json::json!({"http.method": "GET", "otel.resource.service.name": "svc",
            "retry_count": 3, "user.id": "u1"})
    );
    // An indexed attribute used by the http block stays there too; a list cannot be an
    // annotation and is left out.
    assert_eq!(v["http"]["request"]["method"], "GET");
    assert_eq!(
        v["metadata"]["default"],
        serde_json::json!({"cached": true, "ratio": 0.5})
    );

    let t = translator(Options {
        index_all_attributes: true,
        allow_dot: false,
        ..Default::default()
    });
    let v = json(&t, &span(SpanKind::Server, false, attrs.clone()), &res);
    assert_eq!(
        v["annotations"],
        serde_json::json!({"cached": true, "otel_resource_service_name": "svc", "ratio": 0.5,
            "retry_count": 3, "user_id": "u1"})
    );
    assert!(v.get("metadata").is_none());

    let mut named = attrs;
    named.push(kv("aws.xray.annotations", arr(&["cached"])));
    let v = json(
        &translator(Options::default()),
        &span(SpanKind::Client, true, named),
        &[],
    );
    assert_eq!(v["annotations"], serde_json::json!({"cached": true}));
    assert!(
        v["metadata"]["default"]
            .get("aws.xray.annotations")
            .is_none()
    );
}

#[test]
fn metadata_namespaces_from_json_attributes_and_user() {
    let attrs = vec![
        kv(
            "aws.xray.metadata.orders",
            s(r#"{"count": 2, "ids": [1, 2]}"#),
        ),
        kv("aws.xray.metadata.default", s(r#"{"merged": "yes"}"#)),
        kv("aws.xray.metadata.broken", s("{not json")),
        kv("enduser.id", s("alice")),
        kv(
            "nested",
            AnyValue {
                value: Some(V::KvlistValue(KeyValueList {
                    values: vec![kv("z", i(1)), kv("a", s("x"))],
                })),
            },
        ),
    ];
    let v = json(
        &translator(Options::default()),
        &span(SpanKind::Client, true, attrs),
        &[],
    );
    assert_eq!(v["user"], "alice");
    assert_eq!(
        v["metadata"],
        serde_json::json!({
            "default": {"aws.xray.metadata.broken": "{not json", "merged": "yes", "nested": {"a": "x", "z": 1}},
            "orders": {"count": 2, "ids": [1, 2]}
        })
    );
}

#[test]
fn links_carry_xray_trace_ids_and_attributes() {
    let mut sp = span(SpanKind::Consumer, true, vec![]);
    sp.links.push(Link {
        trace_id: TRACE.to_vec().into(),
        span_id: vec![9, 9, 9, 9, 9, 9, 9, 9].into(),
        attributes: vec![kv("kind", s("batch"))],
        ..Default::default()
    });
    let v = json(&translator(Options::default()), &sp, &[]);
    assert_eq!(
        v["links"],
        serde_json::json!([{"trace_id": "1-5b8efbf0-2a1c4e6f8c23149e11452d0a", "id": "0909090909090909",
            "attributes": {"kind": "batch"}}])
    );
}

#[test]
fn trace_id_timestamp_validation_only_with_the_gate_off() {
    let sp = span(SpanKind::Server, false, vec![]);
    let far_future = 0x5b8e_fbf0 + 40 * 24 * 3600;
    let lenient = translator(Options::default());
    assert!(lenient.documents(&sp, &[], far_future).is_ok());
    let strict = translator(Options {
        skip_timestamp_validation: false,
        ..Default::default()
    });
    assert_eq!(
        strict.documents(&sp, &[], far_future),
        Err(TranslateError::Id(IdError::TraceIdOutOfRange(
            "5b8efbf02a1c4e6f8c23149e11452d0a".into()
        )))
    );
    assert!(strict.documents(&sp, &[], NOW).is_ok());
    // Links are checked the same way.
    let mut linked = sp.clone();
    linked.links.push(Link {
        trace_id: vec![0; 16].into(),
        span_id: vec![1; 8].into(),
        ..Default::default()
    });
    assert!(strict.documents(&linked, &[], NOW).is_err());
}

#[test]
fn malformed_ids_are_errors() {
    let mut sp = span(SpanKind::Server, false, vec![]);
    sp.trace_id = vec![1, 2, 3].into();
    assert_eq!(
        translator(Options::default()).documents(&sp, &[], NOW),
        Err(TranslateError::TraceIdLength(3))
    );
    let mut sp = span(SpanKind::Server, false, vec![]);
    sp.span_id = vec![1; 9].into();
    assert_eq!(
        translator(Options::default()).documents(&sp, &[], NOW),
        Err(TranslateError::SpanIdLength(9))
    );
}

#[test]
fn local_root_client_span_splits_into_service_segment_and_dependency() {
    let sp = span(
        SpanKind::Client,
        false,
        vec![
            kv("aws.span.kind", s("LOCAL_ROOT")),
            kv("aws.local.service", s("checkout")),
            kv("aws.remote.service", s("AWS::DynamoDB")),
            kv("aws.remote.operation", s("GetItem")),
            kv("rpc.system", s("aws-api")),
            kv("http.method", s("POST")),
            kv("aws.operation", s("GetItem")),
            kv("custom", s("x")),
        ],
    );
    let res = vec![kv("service.name", s("checkout"))];
    let t = translator(Options::default());
    let segs = t.segments(&sp, &res, NOW).expect("translates");
    assert_eq!(segs.len(), 2);
    let (dep, svc) = (&segs[0], &segs[1]);
    assert_eq!(dep.name.as_deref(), Some("DynamoDB"));
    assert_eq!(dep.kind.as_deref(), Some("subsegment"));
    assert_eq!(dep.namespace.as_deref(), Some("aws"));
    assert_eq!(dep.id.as_deref(), Some("0102030405060708"));
    assert_eq!(dep.parent_id, svc.id);
    assert_ne!(svc.id.as_deref(), Some("0102030405060708"));
    assert_eq!(svc.name.as_deref(), Some("checkout"));
    assert_eq!(svc.kind, None);
    assert_eq!(svc.namespace, None);
    assert_eq!(svc.http, None);
    assert_eq!(svc.parent_id, None);
    assert_eq!(svc.aws.as_ref().unwrap().operation, None);
    assert_eq!(
        svc.metadata["default"].keys().collect::<Vec<_>>(),
        vec!["otel.resource.service.name"]
    );
    assert_eq!(
        dep.aws.as_ref().unwrap().operation.as_deref(),
        Some("GetItem")
    );

    // A local-root server span stays one segment.
    let mut server = sp.clone();
    server.kind = SpanKind::Server as i32;
    let segs = t.segments(&server, &res, NOW).unwrap();
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].name.as_deref(), Some("checkout"));
    assert_eq!(segs[0].kind, None);
}

#[test]
fn oversized_documents_drop_metadata_then_stacks_then_the_span() {
    let big = "x".repeat(70 * 1024);
    let sp = span(SpanKind::Server, false, vec![kv("blob", s(&big))]);
    let docs = translator(Options::default())
        .documents(&sp, &[], NOW)
        .expect("fits without metadata");
    assert_eq!(docs[0].trimmed, Some("metadata"));
    assert!(docs[0].json.len() <= MAX_DOCUMENT_BYTES);
    assert!(!docs[0].json.contains("blob"));

    let mut sp = span(SpanKind::Server, false, vec![]);
    let frames: String = (0..3000)
        .map(|n| format!("\tat com.example.C{n}.m(C.java:{n})\n"))
        .collect();
    sp.events
        .push(exception_event("E", "m", &format!("E: m\n{frames}")));
    let docs = translator(Options::default())
        .documents(&sp, &[kv("telemetry.sdk.language", s("java"))], NOW)
        .expect("fits without stack frames");
    assert_eq!(docs[0].trimmed, Some("metadata and stack frames"));

    let mut sp = span(SpanKind::Server, false, vec![]);
    sp.status = Some(Status {
        code: StatusCode::Error as i32,
        message: big,
    });
    assert!(matches!(
        translator(Options::default()).documents(&sp, &[], NOW),
        Err(TranslateError::TooLarge(n)) if n > MAX_DOCUMENT_BYTES
    ));
}

#[test]
fn documents_parse_back_as_segments() {
    let sp = span(SpanKind::Server, false, vec![kv("http.method", s("GET"))]);
    let text = doc(&translator(Options::default()), &sp, &[]);
    let seg: Segment = serde_json::from_str(&text).unwrap();
    assert!(seg.validate().is_ok());
    assert_eq!(seg.to_document(), text);
}
