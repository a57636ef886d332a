# syntax=docker/dockerfile:1
# One binary, three images (the same `compliance`, different defaults):
#   docker build --target cli     -t compliance:0.1.0 .          # `docker run … check .`
#   docker build --target ci      -t compliance:0.1.0-ci .       # a CI job's image (has a shell)
#   docker build --target webhook -t compliance-webhook:0.1.0 .  # the admission webhook (default)
# All run as uid 65532 on distroless: no package manager; `cli` and `webhook` have no shell
# either; `ci` is distroless' `debug-nonroot` (busybox `sh`), because GitLab CI and GitHub's
# `container:` jobs run their scripts with a shell. Policies, schemas and report templates
# are embedded in the binary: nothing else is copied. Not built in this repository's CI
# (no container engine there); see docs/install.md.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin compliance \
    && install -D -m 0755 target/release/compliance /out/compliance

# helm renders the charts that `compliance check` finds (a static Go binary)
FROM alpine/helm:3.16.4 AS helm

FROM gcr.io/distroless/cc-debian12:nonroot AS cli
COPY --from=build /out/compliance /usr/local/bin/compliance
COPY --from=helm /usr/bin/helm /usr/local/bin/helm
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/compliance"]
CMD ["check", "."]

FROM gcr.io/distroless/cc-debian12:debug-nonroot AS ci
COPY --from=build /out/compliance /usr/local/bin/compliance
COPY --from=helm /usr/bin/helm /usr/local/bin/helm
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/compliance"]
CMD ["check", "."]

FROM gcr.io/distroless/cc-debian12:nonroot AS webhook
COPY --from=build /out/compliance /usr/local/bin/compliance
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/compliance"]
CMD ["webhook", "--listen=0.0.0.0:8443", "--tls-cert=/tls/tls.crt", "--tls-key=/tls/tls.key"]
