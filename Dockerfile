# One image for both processes:
#   default CMD      -> `npm run api`     (HTTP API on $PORT, applies migrations at start)
#   command override -> `npm run worker`  (Temporal worker)
# Both run against external Postgres, Temporal and S3 (see docker-compose.yml).
FROM node:20-bookworm-slim

WORKDIR /app

# The postinstall's Python venv only provides `temporal`/`weed` binaries for the embedded
# dev stack (`npm start`); containers use real services instead, so skip it.
# npm runs scripts through `sh -c`; Debian's dash keeps itself between npm and node and dies on
# SIGTERM without passing it on, so `docker stop` would never reach the app. bash execs the
# single command, so SIGTERM goes npm -> node and the app shuts down cleanly.
# Two glibc malloc arenas instead of one per thread: the Temporal core's and the workflow
# threads' allocations otherwise leave the worker's RSS twice as far above idle (bench b).
ENV ASSISTANTS_SKIP_VENV=1 \
    MALLOC_ARENA_MAX=2 \
    NPM_CONFIG_SCRIPT_SHELL=/bin/bash \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false

# Dependencies first, so source edits don't invalidate this layer. The postinstall runs
# `prisma generate` (schema + config needed), which only needs DATABASE_URL to be set:
# a placeholder, scoped to this RUN, never baked into the image's environment.
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts/setup-venv.mjs ./scripts/
COPY prisma ./prisma
RUN DATABASE_URL=postgresql://build:build@localhost:5432/build npm ci \
 && npm cache clean --force

COPY . .

# Compile the program (the processes run dist/, not tsx: ~115 MB less RSS each), and bundle
# the workflow code (plain and traced) so workers start fast.
RUN npm run build \
 && npm run build:workflows \
 && test -s dist/src/api-main.js && test -s dist/src/worker-main.js \
 && test -s dist/workflow-bundle.js && test -s dist/workflow-bundle.traced.js \
 && mkdir -p /app/data \
 && chown node:node /app/data

# Compiled above: `npm run api`/`worker` skip their pre-build (ignore-scripts drops pre- and
# post-scripts only), which could not write dist/ as the app's user anyway.
ENV WORKFLOW_BUNDLE_PATH=/app/dist/workflow-bundle.js \
    NPM_CONFIG_IGNORE_SCRIPTS=true \
    HOST=0.0.0.0 \
    PORT=3000

# Code stays root-owned (read-only for the app); only /app/data is writable.
USER node

EXPOSE 3000

CMD ["npm", "run", "api"]
