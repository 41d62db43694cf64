import { type BaseMessage, ToolMessage } from '@langchain/core/messages';

type Plan = { kind: 'text'; text: string } | { kind: 'tool'; name: string; args: Record<string, unknown> };

/** The line runs put in each member's prompt (RunPrompts); the demo plays the member it names. */
const MEMBER_LINE = /^Team member: ([\w-]+) \(([^)]*)\), turn (\d+) of at most (\d+)/m;
const TASK_LINE = /^Task: (.+)$/m;

/**
 * The offline demo's part in team runs, so `npm start` without a key shows a plausible run:
 * each member answers in its role, round-robin members finish on the third turn, and a
 * supervisor asks each member once (its `ask_*` tools, in order) before writing the report.
 */
export function planTeamTurn(messages: BaseMessage[], tools: Set<string>, text: string): Plan | null {
  const askTools = [...tools].filter((name) => name.startsWith('ask_'));
  if (askTools.length) {
    const asked = messages.filter((m) => ToolMessage.isInstance(m) && (m.name ?? '').startsWith('ask_'));
    const firstHuman = messages.find((m) => m.getType() === 'human');
    const task = firstHuman ? String(firstHuman.content) : text;
    if (asked.length < askTools.length) return { kind: 'tool', name: askTools[asked.length], args: { request: taskOf(task) } };
    const notes = asked.map((m) => `- ${(m.name ?? '').slice(4)}: ${firstSentence(String(m.content))}`).join('\n');
    return { kind: 'text', text: `[demo model] Final report on "${taskOf(task)}".\nThe team has delivered.\n${notes}` };
  }
  const member = MEMBER_LINE.exec(text);
  if (!member) return null;
  const [, name, role, turnText, maxText] = member;
  const task = taskOf(text);
  const turn = Number(turnText);
  const roleName = `${role} ${name}`.toLowerCase();
  if (roleName.includes('research')) {
    return say(`[demo model] Research notes on "${task}":\n- Three recent sources cover the topic in depth\n- Adoption grew steadily over the last year\n- Costs remain the main obstacle`);
  }
  if (roleName.includes('analy')) {
    return say(`[demo model] Analysis:\n- The growth trend is consistent across sources\n- Cost reduction is the lever with the largest effect`);
  }
  if (roleName.includes('summar')) {
    return say(`[demo model] Summary: the team studied "${task}" and found steady growth held back by cost.\n- Growth is steady\n- Cost is the main obstacle`);
  }
  if (/round.?robin/i.test(text) && (turn >= 3 || turn >= Number(maxText))) {
    return say(`FINAL ANSWER: [demo model] ${role} concludes "${task}" after ${turn} turns.\n- The work is complete`);
  }
  return say(`[demo model] ${role} (${name}), turn ${turn}: my contribution to "${task}".\n- One more point for the team`);
}

function say(text: string): Plan {
  return { kind: 'text', text };
}

function taskOf(text: string): string {
  return (TASK_LINE.exec(text)?.[1] ?? text).trim().slice(0, 200);
}

function firstSentence(text: string): string {
  const line = text.replace(/^\[demo model\]\s*/, '').split('\n')[0];
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/** Only the task line may trigger a tool in a team prompt (earlier outputs must not). */
export function toolTriggerText(text: string): string {
  return MEMBER_LINE.test(text) ? (TASK_LINE.exec(text)?.[1] ?? '') : text;
}
