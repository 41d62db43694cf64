import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedCall {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

/** A local HTTP receiver (webhook, Slack) that keeps every call; `failNext` answers 500 to that many. */
export class Receiver {
  readonly calls: ReceivedCall[] = [];
  failNext = 0;
  url = '';
  private readonly server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      if (this.failNext > 0) {
        this.failNext--;
        res.writeHead(500).end('busy');
        return;
      }
      this.calls.push({ path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw || '{}') });
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });

  async start(path = '/hook'): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this;
  }

  async waitFor(match: (call: ReceivedCall) => boolean, timeoutMs = 15_000): Promise<ReceivedCall> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const call = this.calls.find(match);
      if (call) return call;
      if (Date.now() > deadline) throw new Error(`no matching call within ${timeoutMs} ms (received ${this.calls.length})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
