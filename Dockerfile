# orderflow's image: one image for every process of a deployment (`orderflow start` with ORDERFLOW_SYSTEMS, or
# `orderflow vendors`), as deploy/compose.yaml runs it. Multi-stage: the build stage installs every dependency and
# compiles dist/; the runtime stage has the production dependencies, dist/, bin/ and the dashboard's files only,
# and runs as the unprivileged `node` user.
#   docker build -t orderflow .
#   docker run --rm -p 3000:3000 -e HOST=0.0.0.0 orderflow          # the embedded default, one process

ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 downloads a prebuilt binary; these build it from source when none fits the platform.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
# npm ci runs the prepare script, which builds dist/.
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# The dashboard is served from its source folder (plain HTML, CSS and ES modules, no build step).
COPY --from=build /app/src/http/dashboard ./src/http/dashboard
# The embedded default's data (SQLite, the embedded broker) lives here; a deployment on MySQL and RocketMQ keeps nothing.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
ENV HOST=0.0.0.0 PORT=3000 ORDERFLOW_DATA_DIR=/app/data
EXPOSE 3000
# Healthy while the process answers its health route on PORT (deploy/compose.yaml gives `orderflow vendors` its own check).
HEALTHCHECK --interval=5s --timeout=3s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["node", "bin/orderflow.js"]
CMD ["start"]
