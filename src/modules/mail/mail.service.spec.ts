import { Logger } from '@nestjs/common';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env.schema';
import { MailService } from './mail.service';

describe(MailService.name, () => {
  afterEach(() => jest.restoreAllMocks());

  it('without SMTP_URL in development, writes each mail as one marked DEV MAIL log line with its link', async () => {
    const lines: unknown[][] = [];
    jest.spyOn(Logger.prototype, 'log').mockImplementation((...args: unknown[]) => void lines.push(args));
    const sut = new MailService(new AppConfig(validateEnv({ NODE_ENV: 'development' })));
    await sut.send({ to: 'ada@example.com', subject: 'Confirm your email address', text: 'body', link: 'http://localhost:3000/verify-email?token=abc' });
    expect(lines).toHaveLength(1);
    const [fields, message] = lines[0] as [Record<string, unknown>, string];
    expect(fields).toEqual({ dev_mail: true, to: 'ada@example.com', subject: 'Confirm your email address', link: 'http://localhost:3000/verify-email?token=abc' });
    expect(message).toBe('DEV MAIL (SMTP_URL unset, not sent) to ada@example.com: Confirm your email address http://localhost:3000/verify-email?token=abc');
  });

  it('never logs the link in production (mail there needs SMTP_URL)', async () => {
    const logged: unknown[][] = [];
    for (const level of ['log', 'warn', 'error', 'debug'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => void logged.push(args));
    }
    const production = { NODE_ENV: 'production', JWT_SECRET: 'p'.repeat(40), ENCRYPTION_KEY: 'k'.repeat(40), ALLOW_LOCAL_REGISTRATION: 'false' };
    const sut = new MailService(new AppConfig(validateEnv(production)));
    await sut.send({ to: 'ada@example.com', subject: 'Reset your password', text: 'secret body', link: 'https://app/reset?token=secret' });
    expect(JSON.stringify(logged)).not.toMatch(/secret|ada@example.com/);
  });

  it('does not hold up shutdown more than a few seconds for a mail server that never answers', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket)); // accepts, never greets
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as AddressInfo).port;
      const sut = new MailService(new AppConfig(validateEnv({ SMTP_URL: `smtp://127.0.0.1:${port}` })));
      sut.dispatch({ to: 'ada@example.com', subject: 'Hello', text: 'body' });
      const started = Date.now();
      await sut.beforeApplicationShutdown();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('defaults APP_URL to PUBLIC_URL, else the local API address', () => {
    expect(new AppConfig(validateEnv({ PUBLIC_URL: 'https://api.example.com/' })).accounts.appUrl).toBe('https://api.example.com');
    expect(new AppConfig(validateEnv({ API_PORT: '4000' })).accounts.appUrl).toBe('http://localhost:4000');
    expect(new AppConfig(validateEnv({ APP_URL: 'https://app.example.com', PUBLIC_URL: 'https://api.example.com' })).accounts.appUrl).toBe('https://app.example.com');
  });
});
