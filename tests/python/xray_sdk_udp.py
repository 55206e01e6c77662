"""The real aws-xray-sdk sends one trace to an X-Ray daemon address over UDP.

Usage: xray_sdk_udp.py HOST:PORT MODE

MODE "embedded": the segment is sent once, with its subsegments embedded.
MODE "streamed": streaming_threshold=0, so every finished subsegment is sent on its own (an
independent subsegment document with `type: subsegment`, `parent_id` and `trace_id`) before the
segment itself.

The trace: segment `checkout` (HTTP server meta, annotations, metadata, an exception propagated
from a child, so its cause is the exception id) with subsegments `inventory` (remote HTTP call,
503, ValueError with a stack) and `orders-db` (SQL) which has a nested `pool-acquire`.

Prints the ids as JSON: {"trace_id", "segment", "inventory", "db", "nested"}.
"""
import json
import sys
import traceback

from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.models import http


def main():
    address, mode = sys.argv[1], sys.argv[2]
    xray_recorder.configure(
        daemon_address=address,
        sampling=False,
        context_missing="LOG_ERROR",
        service="ferrocol-e2e",
        streaming_threshold=0 if mode == "streamed" else 100,
    )
    seg = xray_recorder.begin_segment("checkout")
    seg.put_http_meta(http.METHOD, "POST")
    seg.put_http_meta(http.URL, "http://shop.example.com/checkout")
    seg.put_http_meta(http.USER_AGENT, "e2e-client/1.0")
    seg.put_http_meta(http.CLIENT_IP, "10.1.2.3")
    seg.put_annotation("order_id", "A-17")
    seg.put_annotation("items", 3)
    seg.put_metadata("cart", {"total": 12.5, "currency": "EUR"}, "shop")

    inventory = xray_recorder.begin_subsegment("inventory", namespace="remote")
    inventory.put_http_meta(http.METHOD, "GET")
    inventory.put_http_meta(http.URL, "http://inventory.internal/reserve")
    inventory.put_http_meta(http.STATUS, 503)
    error = None
    try:
        raise ValueError("no stock for A-17")
    except ValueError as e:
        error = e
        inventory.add_exception(e, traceback.extract_stack(), remote=True)
    xray_recorder.end_subsegment()

    db = xray_recorder.begin_subsegment("orders-db", namespace="remote")
    db.set_sql(
        {
            "url": "postgresql://db.example.com:5432/orders",
            "database_type": "PostgreSQL",
            "sanitized_query": "INSERT INTO orders VALUES (?)",
            "user": "shop",
        }
    )
    nested = xray_recorder.begin_subsegment("pool-acquire")
    xray_recorder.end_subsegment()
    xray_recorder.end_subsegment()

    # The same exception reaches the segment: the SDK records it there as the exception id.
    seg.add_exception(error, traceback.extract_stack())
    seg.put_http_meta(http.STATUS, 500)
    xray_recorder.end_segment()
    print(
        json.dumps(
            {
                "trace_id": seg.trace_id,
                "segment": seg.id,
                "inventory": inventory.id,
                "db": db.id,
                "nested": nested.id,
            }
        )
    )


if __name__ == "__main__":
    main()
