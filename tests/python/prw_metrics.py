"""OTLP metrics for ferrocol's remote-write end-to-end tests.

    prw_metrics.py sdk --endpoint http://127.0.0.1:PORT
        Emits, through the OpenTelemetry Python SDK's OTLP/HTTP exporter (cumulative): a
        counter, an up-down counter, an observable gauge, an explicit-bucket histogram and an
        exponential histogram; then a summary and a delta sum as raw OTLP requests (the SDK has
        no summary instrument, and its cumulative default never produces delta).

    prw_metrics.py gauge --endpoint http://127.0.0.1:PORT --name N --value V --time-ms T [--series K]
        Posts one raw OTLP gauge request: K series (label `series` = 0..K-1), each one point at
        time T (milliseconds since the epoch).

Resource of every request: service.name=prwtest, service.namespace=shop,
service.instance.id=inst-1, host.name=h1.
"""

import argparse
import sys
import time
import urllib.request

from opentelemetry import metrics as metrics_api
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

RESOURCE = {
    "service.name": "prwtest",
    "service.namespace": "shop",
    "service.instance.id": "inst-1",
    "host.name": "h1",
}


def kv(k, v):
    return common_pb2.KeyValue(key=k, value=common_pb2.AnyValue(string_value=v))


def raw_resource():
    return resource_pb2.Resource(attributes=[kv(k, v) for k, v in RESOURCE.items()])


def post(endpoint, request):
    req = urllib.request.Request(
        endpoint + "/v1/metrics",
        data=request.SerializeToString(),
        method="POST",
        headers={"Content-Type": "application/x-protobuf"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        if resp.status != 200:
            sys.exit(f"collector answered {resp.status}")


def sdk(endpoint):
    exporter = OTLPMetricExporter(endpoint=endpoint + "/v1/metrics")
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(
        resource=Resource.create(RESOURCE),
        metric_readers=[reader],
        views=[View(instrument_name="prw.payload", aggregation=ExponentialBucketHistogramAggregation())],
    )
    meter = provider.get_meter("ferrocol.e2e.prw")
    requests = meter.create_counter("prw.requests", unit="{request}", description="Requests served.")
    requests.add(4, {"http.method": "GET"})
    requests.add(3, {"http.method": "GET"})
    requests.add(1, {"http.method": "POST"})
    depth = meter.create_up_down_counter("prw.queue.depth", unit="{item}")
    depth.add(5)
    depth.add(-2)
    meter.create_observable_gauge(
        "prw.temperature", unit="Cel", callbacks=[lambda _o: [metrics_api.Observation(21.5, {"room": "a"})]]
    )
    latency = meter.create_histogram("prw.latency", unit="ms")
    for v in (3, 7, 40, 250):
        latency.record(v)
    payload = meter.create_histogram("prw.payload", unit="By")
    for v in (100, 200, 400, 800, 1600):
        payload.record(v)
    provider.force_flush()
    provider.shutdown()

    now = time.time_ns()
    summary = metrics_pb2.Metric(
        name="prw.rpc",
        unit="s",
        summary=metrics_pb2.Summary(
            data_points=[
                metrics_pb2.SummaryDataPoint(
                    start_time_unix_nano=now - 10_000_000_000,
                    time_unix_nano=now,
                    count=10,
                    sum=4.5,
                    quantile_values=[
                        metrics_pb2.SummaryDataPoint.ValueAtQuantile(quantile=0.5, value=0.3),
                        metrics_pb2.SummaryDataPoint.ValueAtQuantile(quantile=0.99, value=1.25),
                    ],
                )
            ]
        ),
    )
    delta = metrics_pb2.Metric(
        name="prw.delta",
        sum=metrics_pb2.Sum(
            aggregation_temporality=metrics_pb2.AGGREGATION_TEMPORALITY_DELTA,
            is_monotonic=True,
            data_points=[metrics_pb2.NumberDataPoint(time_unix_nano=now, as_int=5)],
        ),
    )
    post(endpoint, request_of([summary, delta]))


def request_of(metrics):
    return metrics_service_pb2.ExportMetricsServiceRequest(
        resource_metrics=[
            metrics_pb2.ResourceMetrics(
                resource=raw_resource(),
                scope_metrics=[
                    metrics_pb2.ScopeMetrics(
                        scope=common_pb2.InstrumentationScope(name="ferrocol.e2e.prw.raw"),
                        metrics=metrics,
                    )
                ],
            )
        ]
    )


def gauge(endpoint, name, value, time_ms, series):
    points = [
        metrics_pb2.NumberDataPoint(
            attributes=[kv("series", str(i))],
            time_unix_nano=time_ms * 1_000_000,
            as_double=value,
        )
        for i in range(series)
    ]
    metric = metrics_pb2.Metric(name=name, gauge=metrics_pb2.Gauge(data_points=points))
    post(endpoint, request_of([metric]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["sdk", "gauge"])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--name")
    p.add_argument("--value", type=float)
    p.add_argument("--time-ms", type=int)
    p.add_argument("--series", type=int, default=1)
    a = p.parse_args()
    if a.mode == "sdk":
        sdk(a.endpoint)
    else:
        gauge(a.endpoint, a.name, a.value, a.time_ms, a.series)


if __name__ == "__main__":
    main()
