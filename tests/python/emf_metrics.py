"""OpenTelemetry Python SDK metrics for ferrocol's awsemf end-to-end tests.

    emf_metrics.py --endpoint HOST:PORT

Exports three collections through the SDK's OTLP/HTTP exporter, with cumulative temporality (the
SDK's default): a counter (5, 12, 12), a histogram (two recordings, the same each time) and an
observable gauge; the third collection is the final one `MeterProvider.shutdown()` makes. The
collector's awsemf exporter must drop the counter's first value (the delta baseline), then send
7, then 0.
"""

import argparse

from opentelemetry import metrics as metrics_api
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    args = parser.parse_args()

    exporter = OTLPMetricExporter(endpoint=f"http://{args.endpoint}/v1/metrics")
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(
        resource=Resource.create({"service.name": "emf-e2e", "service.namespace": "shop"}),
        metric_readers=[reader],
    )
    meter = provider.get_meter("ferrocol.e2e.emf", "1.0.0")
    orders = meter.create_counter("orders", unit="1", description="orders placed")
    latency = meter.create_histogram("checkout.latency", unit="ms")

    def observe(_options):
        return [metrics_api.Observation(3.0, {"queue": "payments"})]

    meter.create_observable_gauge("queue.depth", callbacks=[observe], unit="{item}")

    orders.add(5, {"route": "/orders"})
    latency.record(12.0, {"route": "/orders"})
    latency.record(30.0, {"route": "/orders"})
    reader.collect()
    orders.add(7, {"route": "/orders"})
    reader.collect()
    provider.shutdown()


if __name__ == "__main__":
    main()
