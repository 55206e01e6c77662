#!/usr/bin/env bash
# Runs every test: sets up the peers the end-to-end tests talk to, then the whole workspace's
# tests with cargo-nextest. Safe to run repeatedly; peers are installed once and reused.
set -euo pipefail
cd "$(dirname "$0")/.."

# The pinned toolchain (rust-toolchain.toml) with rustfmt and clippy.
if ! command -v cargo >/dev/null; then
  echo "cargo is required (install rustup); the toolchain is pinned in rust-toolchain.toml" >&2
  exit 1
fi

# Debian's Prometheus 2.42 and node_exporter 1.5: scrape targets, remote-write receiver and
# relabelling oracle for the Prometheus end-to-end tests; tinyproxy (the executable only, no
# service, which would listen on 8888, the collector's own port): the HTTP proxy (CONNECT) the
# scrape client's proxy_url tests go through.
if ! command -v prometheus >/dev/null || ! command -v prometheus-node-exporter >/dev/null \
  || ! command -v tinyproxy >/dev/null; then
  as_root=""
  [ "$(id -u)" -ne 0 ] && as_root="sudo"
  $as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends \
    prometheus prometheus-node-exporter tinyproxy-bin >/dev/null
fi
export FERROCOL_TEST_PROMETHEUS="$(command -v prometheus)"
export FERROCOL_TEST_NODE_EXPORTER="$(command -v prometheus-node-exporter)"
export FERROCOL_TEST_TINYPROXY="$(command -v tinyproxy)"

# Python peers in a venv: the OpenTelemetry Python SDK and its OTLP exporters, moto, the X-Ray SDK.
venv="${FERROCOL_TEST_VENV:-$PWD/.venv-test}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
stamp="$venv/.requirements.sha"
want=$(sha256sum tests/python/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/python/requirements.txt
  echo "$want" > "$stamp"
fi
export FERROCOL_TEST_PYTHON="$venv/bin/python"

if ! command -v cargo-nextest >/dev/null; then
  cargo install --locked cargo-nextest
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The end-to-end tests run the release binary: it is what users run, and the load tests need it.
cargo build --release --locked -p ferrocol
export FERROCOL_BIN="$PWD/target/release/ferrocol"
cargo nextest run --workspace --locked --no-fail-fast "$@"
