"""A frozen snapshot of Prometheus metrics endpoints, for comparing two scrapers.

    frozen_metrics.py --listen PORT --source NAME=URL [--source NAME=URL ...]

Fetches every URL once at start (with the Accept header Prometheus 2.42 sends), then answers
`GET /NAME` with exactly the bytes and Content-Type it fetched, for as long as it runs. Two
scrapers of this server therefore see identical values, so their results can be compared sample
by sample even for counters that move between scrapes of the live endpoint. Prints `ready` once
the snapshot is taken and the port is bound.
"""

import argparse
import http.server
import sys
import urllib.request

ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


def fetch(url):
    req = urllib.request.Request(url, headers={"Accept": ACCEPT})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read(), resp.headers.get("Content-Type", "text/plain; version=0.0.4")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--source", action="append", required=True)
    args = parser.parse_args()

    snapshots = {}
    for source in args.source:
        name, url = source.split("=", 1)
        snapshots["/" + name] = fetch(url)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            snap = snapshots.get(self.path.split("?", 1)[0])
            if snap is None:
                self.send_error(404)
                return
            body, content_type = snap
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.listen), Handler)
    print("ready", flush=True)
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
