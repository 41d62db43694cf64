import { Logger } from '@nestjs/common';
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import { tool } from '@langchain/core/tools';
import { MemorySaver } from '@langchain/langgraph';
import { z } from 'zod';
import { validateEnv } from '../../config/env.schema';
import { AppConfig } from '../../config/app-config';
import type { AgentEvent, AgentInput } from './agent.events';
import { AgentService } from './agent.service';
import type { ModelRegistry } from './models/model-registry';
import type { AgentTool } from './tools/agent-tool';
import { CalculatorTool } from './tools/calculator/calculator.tool';

/** A model turn that only calls a tool (fakeModel's respondWithTools also echoes the prompt as text). */
const callTool = (name: string, args: Record<string, unknown>, id: string) =>
  new AIMessage({ content: '', tool_calls: [{ name, args, id, type: 'tool_call' }] });

/** A sensitive tool that records what it was run with. */
class RecordingTool implements AgentTool {
  readonly name = 'send_email';
  readonly sensitive = true;
  readonly consentDescription = 'Send an email';
  readonly calls: Array<Record<string, unknown>> = [];
  /** What each call saw: its tool call id and the consent grants of its run. */
  readonly seen: Array<{ id?: string; grants: unknown }> = [];
  build() {
    return tool(
      async (args, config) => {
        this.calls.push(args);
        this.seen.push({ id: (config as { toolCall?: { id?: string } }).toolCall?.id, grants: config.configurable?.consent_grants });
        return `sent to ${args.to}`;
      },
      { name: this.name, description: 'Sends an email', schema: z.object({ to: z.string() }) },
    );
  }
}

describe(AgentService.name, () => {
  beforeAll(() => Logger.overrideLogger(false));
  const config = new AppConfig(validateEnv({}));
  const calculator = new CalculatorTool();
  afterAll(() => calculator.onModuleDestroy());
  const context = (conversationId: string) => ({ userId: 'u1', conversationId, model: 'fake:model', signal: new AbortController().signal });

  function build(model: ReturnType<typeof fakeModel>, tools: AgentTool[]) {
    const registry = { create: async () => model } as unknown as ModelRegistry;
    return new AgentService(registry, tools, new MemorySaver(), config);
  }

  async function collect(sut: AgentService, input: AgentInput, conversationId: string): Promise<AgentEvent[]> {
    const events: AgentEvent[] = [];
    for await (const event of sut.run(input, context(conversationId))) events.push(event);
    return events;
  }

  it('turns a plain answer into text', async () => {
    const sut = build(fakeModel().respond(new AIMessage('Hello!')), []);
    const events = await collect(sut, { kind: 'message', text: 'hi' }, 't1');
    expect(events).toEqual([{ type: 'text', content: 'Hello!' }]);
  });

  it('reports a tool call, its result, then the final answer', async () => {
    const model = fakeModel()
      .respond(callTool('calculator', { expression: '2+2' }, 'c1'))
      .respond(new AIMessage('Four.'));
    const events = await collect(build(model, [calculator]), { kind: 'message', text: '2+2?' }, 't2');
    expect(events).toEqual([
      { type: 'tool_calls', toolCalls: [{ id: 'c1', name: 'calculator', arguments: { expression: '2+2' } }] },
      { type: 'tool_result', result: { tool_call_id: 'c1', name: 'calculator', content: '4', status: 'success' } },
      { type: 'text', content: 'Four.' },
    ]);
  });

  it('turns a tool error into a result the model sees, not a crash', async () => {
    const model = fakeModel()
      .respond(callTool('calculator', { expression: 'import("fs")' }, 'c1'))
      .respond(new AIMessage('That did not work.'));
    const events = await collect(build(model, [calculator]), { kind: 'message', text: 'hack' }, 't3');
    expect(events[1]).toMatchObject({ type: 'tool_result', result: { status: 'error' } });
    expect(events.at(-1)).toEqual({ type: 'text', content: 'That did not work.' });
  });

  describe('consent', () => {
    const pause = async (decision: AgentInput, thread: string) => {
      const recorder = new RecordingTool();
      const model = fakeModel()
        .respond(callTool('send_email', { to: 'boss@example.com' }, 'e1'))
        .respond(new AIMessage('Finished.'));
      const sut = build(model, [recorder]);
      const first = await collect(sut, { kind: 'message', text: 'email my boss' }, thread);
      const second = await collect(sut, decision, thread);
      return { recorder, first, second };
    };

    it('pauses before a sensitive tool with its action, and runs it once approved', async () => {
      const { recorder, first, second } = await pause({ kind: 'resume', decisions: [{ type: 'approve', tool: 'send_email', arguments: { to: 'boss@example.com' } }] }, 'c-approve');
      expect(first.at(-1)).toEqual({
        type: 'interrupt',
        actions: [{ tool: 'send_email', arguments: { to: 'boss@example.com' }, description: 'Send an email', allowed_decisions: ['approve', 'edit', 'reject'], tool_call_id: 'e1' }],
      });
      expect(recorder.calls).toEqual([{ to: 'boss@example.com' }]);
      expect(second).toContainEqual({ type: 'tool_result', result: expect.objectContaining({ content: 'sent to boss@example.com', status: 'success' }) });
    });

    it('hands the resume grants and the tool call id to the tool (the gated tools redeem them)', async () => {
      const grants = [{ consent_request_id: 'r1', tool_call_id: 'e1', tool: 'send_email', token: 'plain-token' }];
      const { recorder } = await pause({ kind: 'resume', decisions: [{ type: 'approve', tool: 'send_email', arguments: { to: 'boss@example.com' } }], grants }, 'c-grants');
      expect(recorder.seen).toEqual([{ id: 'e1', grants }]);
    });

    it('runs the tool with edited arguments', async () => {
      const { recorder } = await pause({ kind: 'resume', decisions: [{ type: 'edit', tool: 'send_email', arguments: { to: 'me@example.com' } }] }, 'c-edit');
      expect(recorder.calls).toEqual([{ to: 'me@example.com' }]);
    });

    it('never runs a rejected tool, and tells the model why', async () => {
      const { recorder, second } = await pause({ kind: 'resume', decisions: [{ type: 'reject', tool: 'send_email', reason: 'Not now' }] }, 'c-reject');
      expect(recorder.calls).toEqual([]);
      expect(second[0]).toEqual({ type: 'tool_result', result: { tool_call_id: 'e1', name: 'send_email', content: 'Not now', status: 'error' } });
    });
  });

  describe('direct replies (a new message calls the model without the graph until it calls a tool)', () => {
    const graphOnly = new AppConfig(validateEnv({ AGENT_DIRECT_REPLIES: 'false' }));
    /** What the model was sent on each call, without the ids (they differ from run to run). */
    const transcript = (model: ReturnType<typeof fakeModel>) =>
      model.calls.map((call) =>
        call.messages.map((message) => ({
          type: message.getType(),
          content: message.content,
          name: message.name,
          tool_calls: (message as AIMessage).tool_calls?.map((item) => [item.id, item.name, item.args]),
          tool_call_id: (message as { tool_call_id?: string }).tool_call_id,
        })),
      );
    /** Plain, tool, consent (approved), failed and plain turns on one thread. */
    const conversation = async (appConfig: AppConfig) => {
      const recorder = new RecordingTool();
      const model = fakeModel()
        .respond(new AIMessage('Hello!'))
        .respond(callTool('calculator', { expression: '2+2' }, 'c1'))
        .respond(new AIMessage('Four.'))
        .respond(callTool('send_email', { to: 'boss@example.com' }, 'e1'))
        .respond(new AIMessage('Sent.'))
        .respond(new Error('provider down'))
        .respond(new AIMessage('Back.'));
      const sut = new AgentService({ create: async () => model } as unknown as ModelRegistry, [calculator, recorder], new MemorySaver(), appConfig);
      type Graph = { stream: () => unknown; getState: (config: unknown) => Promise<{ next: string[]; values: { messages: unknown[] } }> };
      const agent = await (sut as unknown as { agentFor(model: string): Promise<{ graph: Graph }> }).agentFor('fake:model');
      const graphRuns = jest.spyOn(agent.graph, 'stream');
      const events: AgentEvent[][] = [];
      const runs: number[] = [];
      const turn = async (input: AgentInput) => {
        graphRuns.mockClear();
        events.push(await collect(sut, input, 'direct').catch((error: Error) => [{ type: 'text' as const, content: `failed: ${error.message}` }]));
        runs.push(graphRuns.mock.calls.length);
      };
      await turn({ kind: 'message', text: 'hi' });
      await turn({ kind: 'message', text: '2+2?' });
      await turn({ kind: 'message', text: 'email my boss' });
      await turn({ kind: 'resume', decisions: [{ type: 'approve', tool: 'send_email', arguments: { to: 'boss@example.com' } }] });
      await turn({ kind: 'message', text: 'and again?' });
      await turn({ kind: 'message', text: 'still there?' });
      const state = await agent.graph.getState({ configurable: { thread_id: 'direct' } });
      return { transcript: transcript(model), events, runs, emails: recorder.calls, next: state.next, stored: state.values.messages.length };
    };

    it('sends the model what the graph sends, turn after turn, and streams the same events', async () => {
      const direct = await conversation(config);
      const graph = await conversation(graphOnly);
      expect(direct.transcript).toEqual(graph.transcript);
      expect(direct.events).toEqual(graph.events);
      expect(direct.emails).toEqual([{ to: 'boss@example.com' }]);
      // The thread ends as the graph leaves it: every message stored, no step pending.
      expect([direct.next, direct.stored]).toEqual([graph.next, graph.stored]);
      // The graph ran only for the tool turns (handed over after the model's step) and the resume.
      expect(direct.runs).toEqual([0, 1, 1, 1, 0, 0]);
      expect(graph.runs).toEqual([1, 1, 1, 1, 1, 1]);
    });

    it('keeps every turn in the thread: a later turn sees the earlier ones', async () => {
      const { transcript: sent } = await conversation(config);
      const last = sent.at(-1)!.map((message) => [message.type, message.content]);
      expect(last).toEqual([
        ['system', [{ type: 'text', text: expect.stringContaining('helpful assistant') }]],
        ['human', 'hi'],
        ['ai', 'Hello!'],
        ['human', '2+2?'],
        ['ai', ''],
        ['tool', '4'],
        ['ai', 'Four.'],
        ['human', 'email my boss'],
        ['ai', ''],
        ['tool', 'sent to boss@example.com'],
        ['ai', 'Sent.'],
        ['human', 'and again?'],
        ['human', 'still there?'],
      ]);
      // The model's second call of a tool turn sees its own tool call and the result.
      expect(sent[2].at(-2)).toMatchObject({ type: 'ai', name: 'model', tool_calls: [['c1', 'calculator', { expression: '2+2' }]] });
    });
  });

  it('loads the thread once for a plain reply, to send it and to store the turn', async () => {
    const saver = new MemorySaver();
    const loads = jest.spyOn(saver, 'getTuple');
    const model = fakeModel().respond(new AIMessage('One.')).respond(new AIMessage('Two.'));
    const sut = new AgentService({ create: async () => model } as unknown as ModelRegistry, [], saver, config);
    await collect(sut, { kind: 'message', text: 'hi' }, 't-loads');
    await collect(sut, { kind: 'message', text: 'and?' }, 't-loads');
    expect(loads).toHaveBeenCalledTimes(2);
    expect(model.calls[1].messages.map((message) => message.content)).toEqual([expect.anything(), 'hi', 'One.', 'and?']);
  });

  it('keeps a bounded number of agents built (least recently used goes first)', async () => {
    const built: string[] = [];
    const registry = { create: async (spec: string) => (built.push(spec), fakeModel()) } as unknown as ModelRegistry;
    const sut = new AgentService(registry, [], new MemorySaver(), config);
    const agentFor = (model: string) => (sut as unknown as { agentFor(model: string): Promise<unknown> }).agentFor(model);
    for (let i = 0; i < 40; i++) await agentFor(`fake:model-${i}`);
    await agentFor('fake:model-39');
    expect(built).toHaveLength(40);
    await agentFor('fake:model-0');
    expect(built).toHaveLength(41);
  });
});
