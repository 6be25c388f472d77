# Multi-stage build: compile in the Rust image, run in a slim Debian with a non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src

# Dependencies first, in a layer of their own: built from the manifests with stub
# sources, so a change to the code does not rebuild them. Cargo reads every target the
# manifests declare, so the two criterion benches get stubs too.
COPY Cargo.toml Cargo.lock ./
COPY analyzers/Cargo.toml ./analyzers/
RUN mkdir -p src benches analyzers/src analyzers/benches \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs analyzers/src/lib.rs \
 && echo 'fn main() {}' > benches/feed_parsing.rs \
 && echo 'fn main() {}' > analyzers/benches/analyzer_throughput.rs \
 && cargo build --release --locked --bin cargoparts \
 && rm -rf src benches analyzers/src analyzers/benches

COPY analyzers ./analyzers
COPY build.rs ./
COPY migrations ./migrations
COPY src ./src
COPY benches ./benches
# COPY keeps the files' times, which can be older than the stubs' build: touched, the
# two crates are rebuilt from the real sources instead of being taken as up to date.
RUN touch src/main.rs src/lib.rs analyzers/src/lib.rs \
 && cargo build --release --locked --bin cargoparts \
 && strip target/release/cargoparts

# The Japanese dictionary, built from Debian's IPADIC sources (Lindera downloads nothing).
RUN apt-get update \
 && apt-get install -y --no-install-recommends mecab-ipadic \
 && CARGOPARTS_JAPANESE_DICTIONARY=/src/dictionaries/ipadic target/release/cargoparts setup-dictionaries

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/cargoparts --create-home cargoparts
COPY --from=build /src/target/release/cargoparts /usr/local/bin/cargoparts
COPY --from=build /src/dictionaries/ipadic /usr/share/cargoparts/dictionaries/ipadic
USER cargoparts
WORKDIR /var/lib/cargoparts
# Production refuses development keys: give it CARGOPARTS__AUTH__{JWT_KEYS__<ID>,
# ENCRYPTION_KEYS__<ID>,HMAC_KEY} (docs/security.md), and needs its payment, SMS and
# email providers (docs/payments.md, docs/notifications.md). Photos go to a volume
# the replicas share at /var/lib/cargoparts/media, or to an S3-compatible bucket
# (CARGOPARTS__MEDIA__S3__*), as the Kubernetes manifests do (docs/deploy.md).
ENV CARGOPARTS_ENV=production \
    CARGOPARTS_BIND=0.0.0.0:8080 \
    CARGOPARTS__METRICS__BIND=0.0.0.0:9100 \
    CARGOPARTS_INDEX_DIR=/var/lib/cargoparts/index \
    CARGOPARTS_JAPANESE_DICTIONARY=/usr/share/cargoparts/dictionaries/ipadic \
    CARGOPARTS__MEDIA__DIR=/var/lib/cargoparts/media \
    CARGOPARTS_LOG_FORMAT=json
EXPOSE 8080 9100
# Liveness for `docker run` (Kubernetes ignores it and uses the manifests' probes).
# The binary has no health command and the image no HTTP client: bash asks
# GET /api/health over /dev/tcp on CARGOPARTS_BIND's port, which keeps curl and its
# libraries out of the image. Other commands (worker, migrate, import) serve no HTTP
# and count as healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "mapfile -d '' cmd </proc/1/cmdline; [[ \" ${cmd[*]} \" == *' serve '* ]] || exit 0; exec 3<>/dev/tcp/127.0.0.1/${CARGOPARTS_BIND##*:} && printf 'GET /api/health HTTP/1.0\\r\\n\\r\\n' >&3 && read -r _ status _ <&3 && [[ $status == 200 ]]"]
ENTRYPOINT ["/usr/bin/tini", "--", "cargoparts"]
CMD ["serve"]
