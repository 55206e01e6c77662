"""Sends raw bytes as a gRPC OTLP Export request (no protobuf encoding on the client side) and
prints the status code name and details, so tests can send malformed protobuf over real gRPC.

    grpc_raw.py --endpoint HOST:PORT --signal traces --hex 0a05...
"""

import argparse

import grpc

METHODS = {
    "traces": "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
    "metrics": "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    "logs": "/opentelemetry.proto.collector.logs.v1.LogsService/Export",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--signal", default="traces")
    ap.add_argument("--hex", required=True)
    args = ap.parse_args()
    with grpc.insecure_channel(args.endpoint) as channel:
        call = channel.unary_unary(METHODS[args.signal], request_serializer=None, response_deserializer=None)
        try:
            call(bytes.fromhex(args.hex), timeout=10)
            print("OK")
        except grpc.RpcError as e:
            print(e.code().name)
            print(e.details())


if __name__ == "__main__":
    main()
