"""boto3 X-Ray queries against a local moto server, for ferrocol's X-Ray tests.

Usage: xray_query.py ENDPOINT COMMAND [ARGS...]

Credentials and region come from the usual AWS_* environment variables.

Commands:
  batch-get-traces TRACE_ID...   print [{"Id": ..., "Segments": [<parsed document>, ...]}, ...]
  put-segments FILE              PutTraceSegments with the documents in FILE (one per line),
                                 print {"unprocessed": [...]}
"""
import json
import sys

import boto3


def main():
    endpoint, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    xray = boto3.client("xray", endpoint_url=endpoint)
    if command == "batch-get-traces":
        traces = xray.batch_get_traces(TraceIds=args)["Traces"]
        print(
            json.dumps(
                [
                    {"Id": t["Id"], "Segments": [json.loads(s["Document"]) for s in t["Segments"]]}
                    for t in traces
                ]
            )
        )
    elif command == "put-segments":
        (path,) = args
        with open(path) as f:
            docs = [line for line in f.read().splitlines() if line]
        result = xray.put_trace_segments(TraceSegmentDocuments=docs)
        print(json.dumps({"unprocessed": result.get("UnprocessedTraceSegments", [])}))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main()
