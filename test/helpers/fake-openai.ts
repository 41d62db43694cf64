import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type ScriptedReply =
  | { text: string; delayMs?: number }
  | { toolCall: { name: string; args: Record<string, unknown> } }
  /** Several tool calls in one turn (providers that ignore parallel_tool_calls: false). */
  | { toolCalls: Array<{ name: string; args: Record<string, unknown> }> }
  | { status: number }
  | { hang: true };

export interface RecordedRequest {
  model: string;
  stream: boolean;
  messages: Array<{ role: string; content: unknown; tool_calls?: unknown; tool_call_id?: string }>;
  tools: Array<{ function: { name: string } }>;
}

/**
 * A local OpenAI-compatible chat completions server for end-to-end tests of the real
 * @langchain/openai client: streaming SSE chunks (role first, as ChatOpenAI needs), tool calls
 * split across chunks, usage, errors and hangs, each scripted per call.
 */
export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: ScriptedReply[] = [];
  private readonly server = http.createServer((req, res) => void this.handle(req, res));
  private readonly sockets = new Set<import('node:net').Socket>();
  private calls = 0;
  url = '';

  /** Queues replies, one per model call, in order; when empty, answers "ok". */
  script(...replies: ScriptedReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Drops replies a previous test scripted but did not use. */
  reset(): void {
    this.queue.length = 0;
  }

  async start(): Promise<this> {
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(raw) as RecordedRequest & { stream_options?: { include_usage?: boolean } };
    this.requests.push({ model: body.model, stream: Boolean(body.stream), messages: body.messages, tools: body.tools ?? [] });
    const reply = this.queue.shift() ?? { text: 'ok' };
    const id = `chatcmpl-${++this.calls}`;

    if ('hang' in reply) return; // never answers: the client's timeout must end it
    if ('status' in reply) {
      res.writeHead(reply.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'scripted failure', type: 'server_error' } }));
      return;
    }
    const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 };
    const requested = 'toolCall' in reply ? [reply.toolCall] : 'toolCalls' in reply ? reply.toolCalls : [];
    const toolCalls = requested.map((call, index) => ({
      id: `call_${this.calls}${index ? `_${index}` : ''}`,
      name: call.name,
      arguments: JSON.stringify(call.args),
    }));

    if (!body.stream) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [
            {
              index: 0,
              finish_reason: toolCalls.length ? 'tool_calls' : 'stop',
              message: toolCalls.length
                ? { role: 'assistant', content: null, tool_calls: toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })) }
                : { role: 'assistant', content: 'text' in reply ? reply.text : '' },
            },
          ],
          usage,
        }),
      );
      return;
    }

    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const send = (delta: Record<string, unknown>, finish: string | null = null) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    send({ role: 'assistant', content: '' });
    if (toolCalls.length) {
      toolCalls.forEach((call, index) => {
        const half = Math.floor(call.arguments.length / 2);
        send({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments.slice(0, half) } }] });
        send({ tool_calls: [{ index, function: { arguments: call.arguments.slice(half) } }] });
      });
      send({}, 'tool_calls');
    } else if ('text' in reply) {
      for (const piece of reply.text.split(/(?<= )/)) {
        if (res.destroyed) return;
        send({ content: piece });
        if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
      }
      send({}, 'stop');
    }
    if (body.stream_options?.include_usage) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: body.model, choices: [], usage })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }
}

/** Records the POSTs the submit_document tool makes to SUBMIT_WEBHOOK_URL. */
export class WebhookRecorder {
  readonly received: Array<Record<string, unknown>> = [];
  private readonly server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', () => {
      this.received.push(JSON.parse(raw || '{}'));
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"accepted":true}');
    });
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/documents`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
