// Baseline for live-throughput.mjs: the smallest NestJS-on-Express app, from the same installed
// @nestjs packages: one controller, GET /api/live -> {status: 'ok'}, no middleware, no logging.
// Decorators are applied by hand so this runs as plain JS without a build step.
// Usage: API_PORT=3001 node bench/hello-world.mjs   (SIGTERM/SIGINT to stop)
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';

class HelloController {
  live() {
    return { status: 'ok' };
  }
}
Controller()(HelloController);
Get('live')(HelloController.prototype, 'live', Object.getOwnPropertyDescriptor(HelloController.prototype, 'live'));

class HelloModule {}
Module({ controllers: [HelloController] })(HelloModule);

const app = await NestFactory.create(HelloModule, new ExpressAdapter(), { logger: ['error', 'warn'] });
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
