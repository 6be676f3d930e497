# The production image, one for the three apps (docker-compose.yml picks the entry point per
# service): apps/, libs/ and workflows/ compiled by `npm run build`, production dependencies only.
# No tools/, test/ or bench/ (they are not copied in; .dockerignore keeps them out of the context).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/install-deps.sh scripts/install-deps.sh
RUN bash scripts/install-deps.sh
COPY tsconfig.json tsconfig.build.json ./
COPY scripts scripts
COPY apps apps
COPY libs libs
COPY workflows workflows
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
WORKDIR /app
# 16 MiB semi-spaces, as in tools/stack/apps.ts (NODE_FLAGS): Node 24 otherwise lets each isolate's
# young generation grow to 128 MiB and keep it, ~150 MiB more RSS for the worker under load.
ENV NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=16
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/package.json package.json
USER node
CMD ["node", "dist/apps/gateway/main.js"]
