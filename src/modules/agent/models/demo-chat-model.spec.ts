import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { DemoChatModel, planReply } from './demo-chat-model';

const tools = new Set(['calculator', 'current_time', 'search_conversations', 'submit_document']);

describe(planReply.name, () => {
  it.each([
    ['calculate 2 * (3 + 4)', { kind: 'tool', name: 'calculator', args: { expression: '2 * (3 + 4)' } }],
    ['what time is it?', { kind: 'tool', name: 'current_time', args: {} }],
    ['search my conversations for invoices', { kind: 'tool', name: 'search_conversations', args: { query: 'invoices' } }],
    ['submit a document titled Q3 report', { kind: 'tool', name: 'submit_document', args: { title: 'Q3 report', content: 'submit a document titled Q3 report' } }],
  ])('%s', (text, plan) => {
    expect(planReply([new HumanMessage(text)], tools)).toEqual(plan);
  });

  it('plans in linear time: hostile 32 KB messages take milliseconds', () => {
    const hostile = [
      `calculate ${' '.repeat(32_000)}x`,
      `submit a document titled a${' '.repeat(32_000)}\nb`,
      `search ${'for '.repeat(8_000)}`,
      `what is ${'1 '.repeat(16_000)}`,
    ];
    for (const text of hostile) {
      const started = performance.now();
      planReply([new HumanMessage(text)], tools);
      expect(performance.now() - started).toBeLessThan(100);
    }
  });

  it('echoes only the start of a long message', () => {
    const plan = planReply([new HumanMessage('z'.repeat(32_000))], tools);
    expect(plan.kind === 'text' && plan.text.length).toBeLessThan(1_000);
  });

  it('only calls tools that are bound', () => {
    expect(planReply([new HumanMessage('what time is it?')], new Set())).toMatchObject({ kind: 'text' });
  });

  it('answers a tool result in words', () => {
    const result = new ToolMessage({ content: '14', tool_call_id: 'c1', name: 'calculator' });
    expect(planReply([new HumanMessage('calculate 2*7'), result], tools)).toEqual({ kind: 'text', text: '[demo model] The calculator tool returned: 14' });
  });
});

describe(DemoChatModel.name, () => {
  it('streams its answer in several chunks with usage on the last', async () => {
    const chunks = [];
    for await (const chunk of await new DemoChatModel({}).stream('hello')) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.map((c) => c.content).join('')).toContain('[demo model]');
    expect(chunks.at(-1)?.usage_metadata?.total_tokens).toBeGreaterThan(0);
  });
});
