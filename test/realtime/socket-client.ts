import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';

export const NAMESPACE = '/assistant/realtime';

/** Untyped JSON from the wire, as the SSE helper's JSON.parse gives. */
type Json = ReturnType<typeof JSON.parse>;

export type Ack = { ok: true; data: Record<string, Json> } | { ok: false; error: { code: string; message: string; details?: Record<string, string[]> } };
export interface Received {
  event: string;
  payload: Record<string, Json>;
}

/** A real socket.io-client on the namespace that records every server event it receives. */
export class TestSocket {
  readonly received: Received[] = [];
  private readonly sockets: Socket;

  constructor(baseUrl: string, options: Partial<ManagerOptions & SocketOptions> = {}) {
    this.sockets = io(`${baseUrl}${NAMESPACE}`, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false, ...options });
    this.sockets.onAny((event: string, payload: Record<string, Json>) => this.received.push({ event, payload }));
  }

  get raw(): Socket {
    return this.sockets;
  }

  /** Resolves on connect; rejects with the connect_error (its `data` carries `{code, message}`). */
  connect(): Promise<this> {
    return new Promise((resolve, reject) => {
      this.sockets.once('connect', () => resolve(this));
      this.sockets.once('connect_error', reject);
      this.sockets.connect();
    });
  }

  emit(event: string, payload?: unknown): Promise<Ack> {
    return payload === undefined ? this.sockets.timeout(5000).emitWithAck(event) : this.sockets.timeout(5000).emitWithAck(event, payload);
  }

  /** The first recorded event matching, waiting up to `timeoutMs` for it. */
  async waitFor(predicate: (received: Received) => boolean, timeoutMs = 10_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out; received: ${this.received.map((r) => r.event).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  waitForDisconnect(timeoutMs = 10_000): Promise<string> {
    if (!this.sockets.connected) return Promise.resolve('already disconnected');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('still connected')), timeoutMs);
      this.sockets.once('disconnect', (reason) => {
        clearTimeout(timer);
        resolve(reason);
      });
    });
  }

  /** Stream events of one conversation, in arrival order. */
  streamOf(conversationId: string): Received[] {
    const types = ['conversation_id', 'chunk', 'tool_calls', 'results', 'consent_required', 'done', 'error'];
    return this.received.filter((r) => types.includes(r.event) && r.payload?.conversation_id === conversationId);
  }

  close(): void {
    this.sockets.disconnect();
  }
}

export async function connected(baseUrl: string, token: string, options: Partial<ManagerOptions & SocketOptions> = {}): Promise<TestSocket> {
  return new TestSocket(baseUrl, { auth: { token }, ...options }).connect();
}

/** Connect and expect a refusal: the connect_error's `data`. */
export async function refused(socket: TestSocket): Promise<{ message: string; data?: { code: string; message: string } }> {
  try {
    await socket.connect();
  } catch (error) {
    socket.close();
    return error as { message: string; data?: { code: string; message: string } };
  }
  socket.close();
  throw new Error('connected, but a refusal was expected');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
