# gpubook as a container image: one static-ish binary (glibc, libgcc) with its console assets and catalog
# embedded. Build from the repository root: docker build -t gpubook:0.1.0 .
# The tests are not run here; `cargo test --workspace --locked` is the test command (see README).
FROM docker.io/library/rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p gpubook && strip target/release/gpubook

# glibc and libgcc_s are all the binary links against (ldd). A slim Debian rather than distroless so that
# `kubectl exec … cat /data/admin.token` can read the bootstrap token once (see the Helm chart's NOTES).
FROM docker.io/library/debian:bookworm-slim
COPY --from=build /src/target/release/gpubook /usr/local/bin/gpubook
RUN mkdir /data && chown 65532:65532 /data
USER 65532:65532
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/gpubook"]
CMD ["serve", "--listen", "0.0.0.0:8080", "--data-dir", "/data"]
