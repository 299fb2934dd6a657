# syntax=docker/dockerfile:1
# service-reflector: one `deno compile` executable on a distroless base.
#
# Build stage: Deno compiles main.ts with the permissions of the `compile`
# task in deno.json (network, reads, writes under /var/lib/service-reflector
# and /tmp, the hostname, and a fixed list of environment variables).
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
# Dependencies first, so they are cached apart from the sources.
COPY deno.json deno.lock ./
RUN deno install --frozen
COPY main.ts ./
COPY lib ./lib
RUN deno task compile
# The one directory the binary may write besides /tmp, created here because
# the runtime stage has no shell to create it.
RUN mkdir -p /out/var/lib/service-reflector

# Runtime stage: glibc and CA certificates, no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/dist/service-reflector /usr/local/bin/service-reflector
# Owned by the runtime user, for --emitter.cert-dir=/var/lib/service-reflector
# (mount a volume there when the root filesystem is read-only).
COPY --from=build --chown=65532:65532 /out/var/lib/service-reflector /var/lib/service-reflector
WORKDIR /var/lib/service-reflector
USER 65532:65532
EXPOSE 8080 6443 9090
ENTRYPOINT ["/usr/local/bin/service-reflector"]
