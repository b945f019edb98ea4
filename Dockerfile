# infrastructor as one executable (npm run build:binary) on an empty base: the binary, the C and
# C++ runtime libraries it links, a passwd with an unprivileged user, /data. No shell, no Node, no
# package manager, no tests or benches. PGlite keeps its data in /data (a volume) unless DATABASE_URL
# names a PostgreSQL.
#
#   docker build -t infrastructor .
#   docker run -d -p 8080:8080 -v infrastructor-data:/data \
#     -v ./infrastructor_key:/home/infrastructor/.ssh/id_ed25519:ro \
#     -e INFRA_BOOTSTRAP_TOKEN="infra_$(openssl rand -hex 6)_$(openssl rand -hex 32)" infrastructor
#
# It listens on 0.0.0.0:8080, which serve refuses while no API token exists: on the first start,
# INFRA_BOOTSTRAP_TOKEN (infra_<12 hex>_<64 hex>) is stored (its hash) as the write token
# "bootstrap" if the store has no token yet; it is never logged and is ignored once tokens exist.
# See compose.yaml.

# --- build: the binary is the Node of this stage with the bundle injected (a current LTS) ---
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY sql ./sql
COPY tools/build-binary ./tools/build-binary
RUN node tools/build-binary/build.mjs --out /out/infrastructor \
 && sh tools/build-binary/rootfs.sh /out/infrastructor /image

# --- the image: FROM scratch, files only (buildah can build this stage without a runtime) ---
FROM scratch
COPY --from=build /image/rootfs/ /
# /data as an entry of the copied directory, so that --chown applies to it (and a named volume
# mounted there starts out owned by the image's user).
COPY --from=build --chown=10001:10001 /image/owned/ /
ENV HOME=/home/infrastructor \
    INFRA_HOST=0.0.0.0 \
    INFRA_PORT=8080 \
    INFRA_DATA_DIR=/data \
    INFRA_LOCAL_DEVICE=false
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# `infrastructor health` asks the server's own /health (INFRA_HOST/INFRA_PORT, 0.0.0.0 asked on
# 127.0.0.1; INFRA_HEALTHCHECK_URL overrides) within 3 s: exit 0 healthy, 1 not. `healthcheck`, its
# earlier name, still works. The first start initialises PGlite in /data, which takes seconds on a
# small machine: hence the start period.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
  CMD ["/usr/local/bin/infrastructor", "health"]
ENTRYPOINT ["/usr/local/bin/infrastructor"]
CMD ["serve"]
