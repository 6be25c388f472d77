# Multi-stage build: compile in the Rust image, run in a slim Debian with a non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY analyzers ./analyzers
COPY migrations ./migrations
COPY src ./src
COPY benches ./benches
RUN cargo build --release --locked --bin cargoparts \
 && strip target/release/cargoparts

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/cargoparts --create-home cargoparts
COPY --from=build /src/target/release/cargoparts /usr/local/bin/cargoparts
USER cargoparts
WORKDIR /var/lib/cargoparts
# Production refuses development keys: give it CARGOPARTS__AUTH__{JWT_KEYS__<ID>,
# ENCRYPTION_KEYS__<ID>,HMAC_KEY} (docs/security.md), and needs its payment, SMS and
# email providers (docs/payments.md, docs/notifications.md). Photos go to a volume
# the replicas share at /var/lib/cargoparts/media.
ENV CARGOPARTS_ENV=production \
    CARGOPARTS_BIND=0.0.0.0:8080 \
    CARGOPARTS__METRICS__BIND=0.0.0.0:9100 \
    CARGOPARTS_INDEX_DIR=/var/lib/cargoparts/index \
    CARGOPARTS__MEDIA__DIR=/var/lib/cargoparts/media \
    CARGOPARTS_LOG_FORMAT=json
EXPOSE 8080 9100
ENTRYPOINT ["/usr/bin/tini", "--", "cargoparts"]
CMD ["serve"]
