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
# Young generation capped at 2 x 16 MB (V8 grows it to 2 x 64 MB on this heap size): ~90 MB
# less RSS and shorter scavenge pauses under load; same flags as `npm start` (bench/README.md, issue 15).
CMD ["node", "--max-semi-space-size=16", "dist/src/main.js"]
