# Multi-stage: build with dev dependencies, run with production ones as a non-root user.
# Node 24 LTS (engines ">=24.9"); the rule for moving to the 26 image is in README.md, "Node".
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# The environment of `npm start` (package.json; a unit test keeps the two equal): glibc's mmap
# threshold fixed at 128 KiB, so large buffers (scrypt's 16 MiB) go back to the OS when freed.
ENV MALLOC_MMAP_THRESHOLD_=131072
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p data/uploads && chown -R node:node data
USER node
EXPOSE 3000
# The node flags are those of `npm start` (package.json; a unit test keeps the two equal).
CMD ["node", "--max-semi-space-size=16", "dist/src/main"]
