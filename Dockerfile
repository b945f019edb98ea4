# infrastructor: one image, PGlite in /data by default (set DATABASE_URL for PostgreSQL).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY sql ./sql
COPY bin ./bin
COPY test ./test
COPY bench ./bench
RUN npx tsc -p . && npm prune --omit=dev

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends openssh-client && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY sql ./sql
COPY bin ./bin
ENV INFRA_HOST=0.0.0.0 INFRA_PORT=8080 INFRA_DATA_DIR=/data INFRA_LOCAL_DEVICE=false
VOLUME ["/data"]
EXPOSE 8080
USER node
ENTRYPOINT ["node", "bin/infrastructor.mjs"]
CMD ["serve"]
