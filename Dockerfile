# syntax=docker/dockerfile:1
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY tsconfig*.json nest-cli.json .swcrc ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:3000/api/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Same V8 flags as `npm start` (bench/README.md, issue 15): young generation 2 x 16 MB (V8 sizes it
# up to 2 x 64 MB from the machine's RAM); old generation at most 512 MB, well inside the 1 GiB pod
# limit, which also makes V8 collect before the old generation reaches ~1.4x its live size (4x
# with the default limit). Two malloc arenas instead of 8 per core: ~40-50 MB less RSS measured.
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-semi-space-size=16", "--max-old-space-size=512", "dist/src/main.js"]
