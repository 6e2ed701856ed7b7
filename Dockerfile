# theCouncil: serves the manifests in /app/automations; embedded data under /app/.council/data.
# NODE_ENV=production means --strict: a redis automation needs REDIS_URL (no memory fallback).
FROM node:20-bookworm-slim
# git: the console's push mode (console.mode: push) commits and pushes with it.
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY engine ./engine
COPY adapters ./adapters
COPY schemas ./schemas
# `npm ci` runs `prepare`, which compiles the engine to dist/ (so it starts without tsx);
# the compiler and the other development packages are dropped after.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund
COPY automations ./automations
COPY council.config.yaml ./
# Runs as the image's unprivileged `node` user; only the data folder is writable to it.
RUN mkdir -p /app/.council/data && chown -R node:node /app/.council
USER node
EXPOSE 8080
VOLUME ["/app/.council/data"]
# A larger young generation: requests allocate short-lived objects, and with the embedded
# system store's heap in the process each collection of the old one costs more.
CMD ["node", "--max-semi-space-size=32", "bin/council.mjs", "serve"]
