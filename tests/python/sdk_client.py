"""OpenTelemetry Python SDK client for ferrocol's end-to-end tests.

Emits spans, metrics (gauge, sum, histogram, exponential histogram, and a summary) and logs through
the SDK's own OTLP exporters, and records the exact request bytes the exporters put on the wire, so
that a test can compare them with what the collector wrote.

    sdk_client.py --protocol grpc|http-proto|http-json --endpoint HOST:PORT --record OUT [--signals traces,metrics,logs]

The recording is a sequence of records: 1 byte signal (t, m, l), 4 bytes big-endian length, the
serialized Export*ServiceRequest.

The SDK has no OTLP/JSON exporter: for `http-json` the SDK's exporter encodes as usual and this
script converts each request to OTLP/JSON (protobuf JSON mapping with hex ids, as the OTLP spec
requires) before posting it; the recording holds the protobuf the JSON was made from.

The SDK has no summary instrument either: the summary is sent as a raw OTLP request built with the
`opentelemetry-proto` classes, through the same transport.
"""

import argparse
import base64
import json
import logging
import struct
import sys
import urllib.request

from google.protobuf import json_format
from opentelemetry import metrics as metrics_api
from opentelemetry import trace as trace_api
from opentelemetry._logs import SeverityNumber
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode

SIGNAL_CODE = {"traces": b"t", "metrics": b"m", "logs": b"l"}
REQUEST_TYPE = {
    "traces": trace_service_pb2.ExportTraceServiceRequest,
    "metrics": metrics_service_pb2.ExportMetricsServiceRequest,
    "logs": logs_service_pb2.ExportLogsServiceRequest,
}
ID_FIELDS = {"traceId", "spanId", "parentSpanId"}


class Recorder:
    def __init__(self, path):
        self.out = open(path, "wb")

    def record(self, signal, data):
        self.out.write(SIGNAL_CODE[signal] + struct.pack(">I", len(data)) + data)
        self.out.flush()


def hex_ids(node):
    """Protobuf's JSON mapping writes bytes as base64; OTLP/JSON wants ids as hex."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ID_FIELDS and isinstance(v, str):
                node[k] = base64.b64decode(v).hex()
            else:
                hex_ids(v)
    elif isinstance(node, list):
        for v in node:
            hex_ids(v)
    return node


def to_otlp_json(signal, data):
    msg = REQUEST_TYPE[signal].FromString(data)
    return json.dumps(hex_ids(json_format.MessageToDict(msg))).encode()


def post(url, body, content_type):
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    with urllib.request.urlopen(req, timeout=10) as resp:
        if resp.status != 200:
            raise RuntimeError(f"{url}: HTTP {resp.status}")


def make_exporters(protocol, endpoint, recorder):
    """The SDK's OTLP exporters, wrapped so that every request they send is recorded."""
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporters = {
            "traces": OTLPSpanExporter(endpoint=endpoint, insecure=True),
            "metrics": OTLPMetricExporter(endpoint=endpoint, insecure=True),
            "logs": OTLPLogExporter(endpoint=endpoint, insecure=True),
        }
        for signal, exp in exporters.items():
            stub = exp._client
            original = stub.Export

            def export(request, *args, _signal=signal, _original=original, **kwargs):
                recorder.record(_signal, request.SerializeToString())
                return _original(request, *args, **kwargs)

            stub.Export = export
        return exporters

    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    base = f"http://{endpoint}"
    exporters = {
        "traces": OTLPSpanExporter(endpoint=f"{base}/v1/traces"),
        "metrics": OTLPMetricExporter(endpoint=f"{base}/v1/metrics"),
        "logs": OTLPLogExporter(endpoint=f"{base}/v1/logs"),
    }
    # Since SDK 1.45 every HTTP exporter sends through `_client.export(serialized_bytes)`.
    from opentelemetry.exporter.otlp.common.http import _ExportResult

    for signal, exp in exporters.items():
        client = exp._client
        original = client.export

        def export(serialized_data, _signal=signal, _original=original, _url=exp._endpoint):
            recorder.record(_signal, serialized_data)
            if protocol == "http-json":
                post(_url, to_otlp_json(_signal, serialized_data), "application/json")
                return _ExportResult(True, 200, "OK", None)
            return _original(serialized_data)

        client.export = export
    return exporters


def emit_traces(exporter):
    provider = TracerProvider(resource=Resource.create({"service.name": "e2e-client", "deployment.environment": "test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("ferrocol.e2e", "1.0.0")
    with tracer.start_as_current_span("GET /orders", kind=trace_api.SpanKind.SERVER) as server:
        server.set_attribute("http.request.method", "GET")
        server.set_attribute("http.response.status_code", 200)
        server.set_attribute("ratio", 0.25)
        server.set_attribute("tags", ["a", "b"])
        server.add_event("cache miss", {"key": "orders:42"})
        with tracer.start_as_current_span("SELECT orders", kind=trace_api.SpanKind.CLIENT) as db:
            db.set_attribute("db.system", "postgresql")
            db.set_attribute("unicode", "héllo ✓ 日本")
        with tracer.start_as_current_span("failing") as failing:
            failing.set_status(Status(StatusCode.ERROR, "boom"))
            failing.record_exception(ValueError("bad value"))
    provider.shutdown()


def emit_metrics(exporter, protocol, endpoint, recorder):
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(
        resource=Resource.create({"service.name": "e2e-client"}),
        metric_readers=[reader],
        views=[View(instrument_name="latency.exp", aggregation=ExponentialBucketHistogramAggregation())],
    )
    meter = provider.get_meter("ferrocol.e2e", "1.0.0")
    counter = meter.create_counter("requests", unit="1", description="requests served")
    counter.add(5, {"route": "/orders"})
    counter.add(2, {"route": "/items"})
    updown = meter.create_up_down_counter("queue.depth")
    updown.add(7)
    updown.add(-3)
    hist = meter.create_histogram("latency", unit="ms")
    for v in (1.0, 7.5, 12.0, 250.0):
        hist.record(v, {"route": "/orders"})
    exp_hist = meter.create_histogram("latency.exp", unit="ms")
    for v in (0.5, 3.0, 3.1, 900.0):
        exp_hist.record(v)

    def observe(_options):
        return [metrics_api.Observation(42.5, {"core": "0"}), metrics_api.Observation(-1.0, {"core": "1"})]

    meter.create_observable_gauge("temperature", callbacks=[observe], unit="Cel")
    reader.collect()
    provider.shutdown()

    # A summary: built by hand, the SDK cannot make one.
    summary = metrics_service_pb2.ExportMetricsServiceRequest(
        resource_metrics=[
            metrics_pb2.ResourceMetrics(
                scope_metrics=[
                    metrics_pb2.ScopeMetrics(
                        scope=common_pb2.InstrumentationScope(name="ferrocol.e2e.summary"),
                        metrics=[
                            metrics_pb2.Metric(
                                name="rpc.duration",
                                unit="s",
                                summary=metrics_pb2.Summary(
                                    data_points=[
                                        metrics_pb2.SummaryDataPoint(
                                            start_time_unix_nano=1_700_000_000_000_000_000,
                                            time_unix_nano=1_700_000_060_000_000_000,
                                            count=3,
                                            sum=1.5,
                                            quantile_values=[
                                                metrics_pb2.SummaryDataPoint.ValueAtQuantile(quantile=0.5, value=0.4),
                                                metrics_pb2.SummaryDataPoint.ValueAtQuantile(quantile=0.99, value=0.9),
                                            ],
                                        )
                                    ]
                                ),
                            )
                        ],
                    )
                ]
            )
        ]
    )
    data = summary.SerializeToString()
    recorder.record("metrics", data)
    if protocol == "grpc":
        import grpc
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc

        with grpc.insecure_channel(endpoint) as channel:
            metrics_service_pb2_grpc.MetricsServiceStub(channel).Export(summary, timeout=10)
    elif protocol == "http-json":
        post(f"http://{endpoint}/v1/metrics", to_otlp_json("metrics", data), "application/json")
    else:
        post(f"http://{endpoint}/v1/metrics", data, "application/x-protobuf")


def emit_logs(exporter):
    provider = LoggerProvider(resource=Resource.create({"service.name": "e2e-client"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    handler = LoggingHandler(level=logging.DEBUG, logger_provider=provider)
    logger = logging.getLogger("ferrocol.e2e")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    logger.info("order %s placed", "42", extra={"order.id": 42})
    logger.warning("stock low ✓", extra={"sku": "A-1"})
    tracer = TracerProvider().get_tracer("x")
    with tracer.start_as_current_span("with-log"):
        logger.error("inside a span")
    provider.shutdown()
    assert SeverityNumber.INFO  # the SDK's severity mapping is what the collector receives


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--protocol", choices=["grpc", "http-proto", "http-json"], required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--record", required=True)
    ap.add_argument("--signals", default="traces,metrics,logs")
    args = ap.parse_args()
    recorder = Recorder(args.record)
    exporters = make_exporters(args.protocol, args.endpoint, recorder)
    signals = args.signals.split(",")
    if "traces" in signals:
        emit_traces(exporters["traces"])
    if "metrics" in signals:
        emit_metrics(exporters["metrics"], args.protocol, args.endpoint, recorder)
    if "logs" in signals:
        emit_logs(exporters["logs"])
    print("sent", file=sys.stderr)


if __name__ == "__main__":
    main()
