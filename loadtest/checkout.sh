#!/usr/bin/env bash
# Load scenario: the whole checkout (order, sandbox payment, accept, ship) from many buyers.
#
#   loadtest/checkout.sh [orders] [concurrency]
#
# Builds the release binary and examples/checkout_load, starts the server on a fresh
# database with the rate limits off and the sandbox paying, makes a seller with an API
# key, runs the scenario, and removes the database. Figures in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
orders=${1:-3000}
concurrency=${2:-16}
scripts/services
cargo build --release --bin cargoparts --example checkout_load
bin=target/release/cargoparts
db=cp_checkout_load_$$
port=${CHECKOUT_LOAD_PORT:-18398}
index=$(mktemp -d)
export DATABASE_URL=${CHECKOUT_LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}/$db${CHECKOUT_LOAD_DATABASE_PARAMS:-}
export CARGOPARTS_INDEX_DIR=$index CARGOPARTS_BIND=127.0.0.1:$port RUST_LOG=warn
# The sandbox pays, and its page sends the shopper back to this server.
export CARGOPARTS__PAYMENTS__PUBLIC_URL=http://127.0.0.1:$port
export CARGOPARTS__RATE_LIMIT__PUBLIC__LIMIT=0 CARGOPARTS__RATE_LIMIT__AUTH__LIMIT=0 CARGOPARTS__RATE_LIMIT__SELLER_SYNC__LIMIT=0
cleanup() {
    [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$index"
}
trap cleanup EXIT
"$bin" serve &
server=$!
for _ in $(seq 1 240); do
    curl -fs "http://127.0.0.1:$port/api/ready" >/dev/null 2>&1 && break
    sleep 0.5
done
key=$("$bin" seller create-key load-seller --name "Load Seller" --city Riyadh)
target/release/examples/checkout_load --base "http://127.0.0.1:$port" --seller-key "$key" \
    --orders "$orders" --concurrency "$concurrency"
