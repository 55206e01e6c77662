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

# Python peers in a venv: the OpenTelemetry Python SDK and its OTLP exporters.
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
