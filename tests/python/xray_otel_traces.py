"""The OpenTelemetry Python SDK sends one trace over OTLP/HTTP for the awsxray exporter tests.

Usage: xray_otel_traces.py HTTP_PORT

The trace: a SERVER span `GET /orders/{id}` (old HTTP conventions: http.method, http.target,
http.host, http.status_code 200; attributes `order.id` (indexed by the test config) and
`customer.tier` (metadata)), with children
  - a CLIENT span `POST` with the new HTTP conventions (http.request.method, url.full,
    http.response.status_code 503) and `peer.service: inventory`;
  - a CLIENT span to PostgreSQL (db.system, db.name, db.statement, db.connection_string);
  - an INTERNAL span that fails: status ERROR and an exception event with a Python stack;
  - a CLIENT span answered 429 (throttled), new conventions.

Prints the ids in X-Ray form as JSON: {"trace_id", "server", "http_client", "db", "failing",
"throttled"}.
"""
import json
import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode


def xray_trace_id(tid):
    h = format(tid, "032x")
    return f"1-{h[:8]}-{h[8:]}"


def main():
    port = sys.argv[1]
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": "orders-api", "service.version": "2.1.0", "deployment.environment": "e2e"}
        )
    )
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces"))
    )
    tracer = provider.get_tracer("xray-e2e")
    ids = {}
    with tracer.start_as_current_span("GET /orders/{id}", kind=SpanKind.SERVER) as server:
        server.set_attribute("http.method", "GET")
        server.set_attribute("http.target", "/orders/17")
        server.set_attribute("http.host", "shop.example.com")
        server.set_attribute("http.scheme", "https")
        server.set_attribute("http.status_code", 200)
        server.set_attribute("order.id", "A-17")
        server.set_attribute("customer.tier", "gold")
        ids["trace_id"] = xray_trace_id(server.get_span_context().trace_id)
        ids["server"] = format(server.get_span_context().span_id, "016x")
        with tracer.start_as_current_span("POST", kind=SpanKind.CLIENT) as client:
            client.set_attribute("http.request.method", "POST")
            client.set_attribute("url.full", "http://inventory.internal/reserve?id=17")
            client.set_attribute("http.response.status_code", 503)
            client.set_attribute("peer.service", "inventory")
            ids["http_client"] = format(client.get_span_context().span_id, "016x")
        with tracer.start_as_current_span("INSERT orders", kind=SpanKind.CLIENT) as db:
            db.set_attribute("db.system", "postgresql")
            db.set_attribute("db.name", "orders")
            db.set_attribute("db.statement", "INSERT INTO orders VALUES ($1)")
            db.set_attribute("db.connection_string", "postgresql://db.example.com:5432")
            ids["db"] = format(db.get_span_context().span_id, "016x")
        with tracer.start_as_current_span("validate", kind=SpanKind.INTERNAL) as failing:
            ids["failing"] = format(failing.get_span_context().span_id, "016x")
            try:
                raise ValueError("order A-17 is invalid")
            except ValueError as e:
                failing.record_exception(e)
                failing.set_status(Status(StatusCode.ERROR, "validation failed"))
        with tracer.start_as_current_span("GET", kind=SpanKind.CLIENT) as throttled:
            throttled.set_attribute("http.request.method", "GET")
            throttled.set_attribute("url.full", "http://rates.internal/eur")
            throttled.set_attribute("http.response.status_code", 429)
            ids["throttled"] = format(throttled.get_span_context().span_id, "016x")
    provider.shutdown()
    print(json.dumps(ids))


if __name__ == "__main__":
    main()
