# confab in a container: `confab serve` with every protocol, the web page and the health
# endpoint, as a non-root user, data in the /data volume. docs/operations.md ("In a
# container") has the details; scripts/container-check builds and checks it end to end.
#
#   podman build -t confab --build-arg CONFAB_COMMIT=$(git rev-parse --short=12 HEAD) .
#   podman run -d --name confab -v confab-data:/data \
#     -p 8820:8820 -p 3560:3560 -p 5220:5220 -p 5001:5001 -p 6667:6667 -p 8080:8080 \
#     -p 127.0.0.1:9681:9681 confab
#
# (docker works the same; podman needs `--format docker` to keep the HEALTHCHECK.)

# The builder: any Debian-based image with a recent stable cargo and rustc, gcc and
# libc6-dev (make is added with apt-get when missing); checked with Rust 1.95.0.
ARG RUST_IMAGE=rust:1-slim-bookworm
# The runtime: any glibc image as new as the builder's (bookworm: glibc 2.36). This stage
# runs nothing at build time, so gcr.io/distroless/cc-debian12 works too (then without
# the health check, which needs bash: `--no-healthcheck`).
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
# The commit `confab --version` names (build.rs); .git is not in the build context.
ARG CONFAB_COMMIT=
# `dist` (Cargo.toml): fat LTO, no symbols; `release` builds faster.
ARG PROFILE=dist
# jemalloc's build (tikv-jemalloc-sys) runs make, which the slim Rust images lack.
RUN if ! command -v make >/dev/null; then \
        apt-get update \
        && apt-get install -y --no-install-recommends make \
        && rm -rf /var/lib/apt/lists/*; \
    fi
WORKDIR /src
COPY . .
RUN CONFAB_COMMIT="$CONFAB_COMMIT" cargo build --locked --profile "$PROFILE" --bin confab \
    && install -D -m 0755 "target/$PROFILE/confab" /out/confab \
    && mkdir /out/data \
    && /out/confab --version

FROM ${RUNTIME_IMAGE}
# The system's CA roots, for `--cluster rediss://` and `confab connect --tls`.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/confab /usr/local/bin/confab
# Accounts, history and the control socket (`confab reload`) live in /data, owned by the
# user confab runs as: a new named volume takes this owner; a bind mount must be
# writable by uid 10001.
COPY --from=build --chown=10001:10001 /out/data /data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# prefixed, packet, rooms, broadcast, irc, http (the web page and IRC over WebSocket),
# and metrics (/metrics, /healthz, /readyz: publish it on loopback or to your Prometheus
# only; nothing on it asks who is asking).
EXPOSE 8820 3560 5220 5001 6667 8080 9681
# SIGTERM is confab's graceful stop: clients are told, history is committed, exit 0
# within about 2 seconds.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9681 && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r status <&3 && [[ $status == *' 200 '* ]]"]
ENTRYPOINT ["confab"]
# Every listener on every address of the container (the defaults of `confab serve`, which
# --listen replaces, plus metrics). With a config file, replace this command, e.g.
# `serve --data /data --config /etc/confab/confab.toml` with its `listen` list.
CMD ["serve", "--data", "/data", \
     "--listen", "prefixed=0.0.0.0:8820", \
     "--listen", "packet=0.0.0.0:3560", \
     "--listen", "rooms=0.0.0.0:5220", \
     "--listen", "broadcast=0.0.0.0:5001", \
     "--listen", "irc=0.0.0.0:6667", \
     "--listen", "http=0.0.0.0:8080", \
     "--listen", "metrics=0.0.0.0:9681"]
