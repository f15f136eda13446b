# lanegate's image. Build: docker build -t lanegate . ; run: see compose.yaml and docs/deploy.md.
# Both stages use the same base image, so the SQLite binary compiled in the first runs in the second.

FROM node:22-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The same script test/release/image.test.ts runs: build, then a production-only install.
RUN scripts/release/stage.sh /app

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    LOG_FORMAT=json \
    LOG_LEVEL=info \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=file:/data/lanegate.sqlite
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "dist/healthcheck.js"]
# node is PID 1 with no wrapper: `docker stop`'s SIGTERM reaches lanegate's own handler.
CMD ["node", "dist/main.js"]
