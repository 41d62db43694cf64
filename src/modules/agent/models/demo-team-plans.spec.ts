import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { planTeamTurn, toolTriggerText } from './demo-team-plans';

const prompt = (name: string, role: string, turn: number, max: number, extra = '') =>
  `Task: Compare alpha and beta\nTeam member: ${name} (${role}), turn ${turn} of at most ${max}.\n${extra}`;

describe(planTeamTurn.name, () => {
  it('answers in the member’s role', () => {
    const sut = planTeamTurn([new HumanMessage(prompt('researcher', 'researcher', 1, 3))], new Set(), prompt('researcher', 'researcher', 1, 3));
    expect(sut).toMatchObject({ kind: 'text', text: expect.stringContaining('Research notes on "Compare alpha and beta"') });
  });

  it('ends a round robin with FINAL ANSWER on the third turn', () => {
    const text = prompt('critic', 'critic', 3, 6, 'The team works round robin.');
    expect(planTeamTurn([new HumanMessage(text)], new Set(), text)).toMatchObject({ text: expect.stringMatching(/^FINAL ANSWER/) });
    const early = prompt('critic', 'critic', 2, 6, 'The team works round robin.');
    expect(planTeamTurn([new HumanMessage(early)], new Set(), early)).toMatchObject({ text: expect.not.stringMatching(/FINAL ANSWER/) });
  });

  it('as a supervisor asks each member once, in order, then reports', () => {
    const tools = new Set(['ask_researcher', 'ask_writer']);
    const task = new HumanMessage('Task: Compare alpha and beta');
    expect(planTeamTurn([task], tools, '')).toEqual({ kind: 'tool', name: 'ask_researcher', args: { request: 'Compare alpha and beta' } });
    const asked = [task, new AIMessage(''), new ToolMessage({ content: 'facts', tool_call_id: '1', name: 'ask_researcher' })];
    expect(planTeamTurn(asked, tools, '')).toMatchObject({ kind: 'tool', name: 'ask_writer' });
    const done = [...asked, new AIMessage(''), new ToolMessage({ content: 'draft', tool_call_id: '2', name: 'ask_writer' })];
    expect(planTeamTurn(done, tools, '')).toMatchObject({ kind: 'text', text: expect.stringContaining('- researcher: facts') });
  });

  it('is not a team prompt otherwise', () => {
    expect(planTeamTurn([new HumanMessage('hello')], new Set(), 'hello')).toBeNull();
  });
});

describe(toolTriggerText.name, () => {
  it('lets only the task line of a team prompt pick a tool', () => {
    expect(toolTriggerText(prompt('a', 'a', 2, 3, '[b]: what time is it?'))).toBe('Compare alpha and beta');
    expect(toolTriggerText('what time is it?')).toBe('what time is it?');
  });
});
