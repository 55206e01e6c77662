"""Sends N OTLP trace requests of M spans each over gRPC, as fast as the server takes them, with
the OpenTelemetry proto classes and grpcio. Fails loudly on any non-OK answer (after retrying
UNAVAILABLE / RESOURCE_EXHAUSTED, as an SDK exporter would), so that every span it reports as
sent was acknowledged by the collector.

    blast.py --endpoint HOST:PORT --requests 100 --spans 1000

Prints the number of spans acknowledged. Options for load tests:
    --attr-bytes N     each span also carries a `payload` attribute of N bytes (larger spans)
    --duration S       keep sending (up to --requests) until S seconds have passed
    --reuse            build one request and send it again and again (cheap to offer much load)
    --retry-delay S    wait S seconds between retries (default: 0.1 s more after each refusal)
    --max-attempts N   give up (and fail) after N refusals of one request (default 50)
    --report-refusals  print one JSON line instead: {"sent": spans acknowledged, "requests":
                       requests acknowledged, "refusals": {status code name: count of retried
                       refusals}}
"""

import argparse
import collections
import json
import os
import sys
import time

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED}


def request(index, spans, attr_bytes=0):
    def kv(k, v):
        return common_pb2.KeyValue(key=k, value=common_pb2.AnyValue(string_value=v))

    extra = [kv("payload", "x" * attr_bytes)] if attr_bytes else []

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
                                attributes=[kv("request", str(index)), kv("i", str(i))] + extra,
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
    ap.add_argument("--attr-bytes", type=int, default=0)
    ap.add_argument("--duration", type=float, default=0.0)
    ap.add_argument("--reuse", action="store_true")
    ap.add_argument("--report-refusals", action="store_true")
    ap.add_argument("--retry-delay", type=float, default=None)
    ap.add_argument("--max-attempts", type=int, default=50)
    args = ap.parse_args()
    sent = 0
    acked = 0
    refusals = collections.Counter()
    deadline = time.monotonic() + args.duration if args.duration > 0 else None
    template = request(0, args.spans, args.attr_bytes) if args.reuse else None
    with grpc.insecure_channel(
        args.endpoint,
        options=[("grpc.max_send_message_length", 256 << 20)],
    ) as channel:
        stub = trace_service_pb2_grpc.TraceServiceStub(channel)
        for n in range(args.requests):
            if deadline is not None and time.monotonic() >= deadline:
                break
            req = template if template is not None else request(n, args.spans, args.attr_bytes)
            for attempt in range(args.max_attempts):
                try:
                    stub.Export(req, timeout=30)
                    break
                except grpc.RpcError as e:
                    if e.code() not in RETRYABLE:
                        raise
                    refusals[e.code().name] += 1
                    if args.retry_delay is None:
                        time.sleep(0.1 * (attempt + 1))
                    else:
                        time.sleep(args.retry_delay)
            else:
                sys.exit(f"request {n} was refused {args.max_attempts} times")
            sent += args.spans
            acked += 1
    if args.report_refusals:
        print(json.dumps({"sent": sent, "requests": acked, "refusals": dict(refusals)}))
    else:
        print(sent)


if __name__ == "__main__":
    main()
