"""Sends N OTLP trace requests of M spans each over gRPC, as fast as the server takes them, with
the OpenTelemetry proto classes and grpcio. Fails loudly on any non-OK answer (after retrying
UNAVAILABLE / RESOURCE_EXHAUSTED, as an SDK exporter would), so that every span it reports as
sent was acknowledged by the collector.

    blast.py --endpoint HOST:PORT --requests 100 --spans 1000
"""

import argparse
import os
import sys
import time

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED}


def request(index, spans):
    def kv(k, v):
        return common_pb2.KeyValue(key=k, value=common_pb2.AnyValue(string_value=v))

    return trace_service_pb2.ExportTraceServiceRequest(
        resource_spans=[
            trace_pb2.ResourceSpans(
                resource=resource_pb2.Resource(attributes=[kv("service.name", "blast")]),
                scope_spans=[
                    trace_pb2.ScopeSpans(
                        scope=common_pb2.InstrumentationScope(name="blast"),
                        spans=[
                            trace_pb2.Span(
                                trace_id=os.urandom(16),
                                span_id=os.urandom(8),
                                name=f"span {index}-{i}",
                                kind=trace_pb2.Span.SPAN_KIND_SERVER,
                                start_time_unix_nano=1_700_000_000_000_000_000 + i,
                                end_time_unix_nano=1_700_000_000_000_100_000 + i,
                                attributes=[kv("request", str(index)), kv("i", str(i))],
                            )
                            for i in range(spans)
                        ],
                    )
                ],
            )
        ]
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--spans", type=int, default=1000)
    args = ap.parse_args()
    sent = 0
    with grpc.insecure_channel(args.endpoint) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        for n in range(args.requests):
            req = request(n, args.spans)
            for attempt in range(50):
                try:
                    stub.Export(req, timeout=30)
                    break
                except grpc.RpcError as e:
                    if e.code() not in RETRYABLE:
                        raise
                    time.sleep(0.1 * (attempt + 1))
            else:
                sys.exit(f"request {n} was refused 50 times")
            sent += args.spans
    print(sent)


if __name__ == "__main__":
    main()
