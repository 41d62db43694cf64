// Baseline for live-throughput.mjs: the smallest NestJS-on-Express app, from the same installed
// @nestjs packages: one controller, GET /api/live -> {status: 'ok'}, no middleware, no logging.
// Decorators are applied by hand so this runs as plain JS without a build step.
// HELLO_STACK=same adds the server's Express middleware in the same order as src/app.setup.ts
// (request id, helmet, CORS, JSON and urlencoded body parsers, cookie-parser), from the same
// installed packages, and nothing of Nest's (no logger, guards, interceptors, filters).
// Usage: API_PORT=3001 [HELLO_STACK=same] node bench/hello-world.mjs   (SIGTERM/SIGINT to stop)
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import cookieParser from 'cookie-parser';
import express from 'express';
import helmet from 'helmet';
import { randomUUID } from 'node:crypto';

class HelloController {
  live() {
    return { status: 'ok' };
  }
}
Controller()(HelloController);
Get('live')(HelloController.prototype, 'live', Object.getOwnPropertyDescriptor(HelloController.prototype, 'live'));

class HelloModule {}
Module({ controllers: [HelloController] })(HelloModule);

const sameStack = process.env.HELLO_STACK === 'same';
const app = await NestFactory.create(HelloModule, new ExpressAdapter(), { logger: ['error', 'warn'], bodyParser: !sameStack });
if (sameStack) {
  const SAFE_ID = /^[\w.:-]{1,128}$/;
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    const incoming = req.headers['x-request-id'];
    req.id = typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    next();
  });
  app.use(helmet());
  app.enableCors({ origin: false, credentials: true });
  app.use(express.json({ limit: '1mb' }));
  app.use(express.urlencoded({ extended: false, limit: '1mb' }));
  app.use(cookieParser());
}
app.setGlobalPrefix('api');
await app.listen(Number(process.env.API_PORT ?? 3001), process.env.API_HOST ?? '127.0.0.1');

let closing = false;
const stop = () => {
  if (closing) return;
  closing = true;
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
  setTimeout(() => process.exit(1), 5000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
