import { Injectable } from '@nestjs/common';
import { type StructuredToolInterface, tool } from '@langchain/core/tools';
import { z } from 'zod';
import type { AgentInput } from '../agent/agent.events';
import { AgentService } from '../agent/agent.service';
import { ModelRegistry } from '../agent/models/model-registry';
import type { ConsentAction } from '../consent/consent-request.entity';
import type { TeamAgent } from '../teams/team.entity';
import type { RunExecution } from './run-execution';
import type { RunState, TeamResult } from './run.entity';

export const FINAL_ANSWER = /FINAL ANSWER/i;

/** How an orchestration stopped: finished with a result, or paused for consent. */
export type OrchestrationOutcome = { kind: 'completed'; result: TeamResult } | { kind: 'paused'; actions: ConsentAction[] };

type Turn = NonNullable<RunState['turns']>[number];
type TurnOutcome = { output: string; paused?: ConsentAction[] };

/**
 * Runs a team's orchestration inside one RunExecution. Every member is a createAgent agent (the
 * same tools and consent middleware as chat). Finished turns are saved in the run's state, so a
 * worker taking over after a crash or a consent pause continues from the turn in progress.
 */
@Injectable()
export class RunOrchestrator {
  constructor(
    private readonly agent: AgentService,
    private readonly models: ModelRegistry,
  ) {}

  async execute(exec: RunExecution, resume?: AgentInput): Promise<OrchestrationOutcome> {
    const { orchestration } = exec.run.team;
    if (orchestration.type === 'supervisor') return this.supervisor(exec);
    return orchestration.type === 'round_robin' ? this.roundRobin(exec, resume) : this.sequential(exec, resume);
  }

  private async sequential(exec: RunExecution, resume?: AgentInput): Promise<OrchestrationOutcome> {
    const { agents } = exec.run.team;
    const turns = exec.state.turns ?? [];
    for (let index = turns.length; index < agents.length; index++) {
      const outcome = await this.memberTurn(exec, agents[index], index, agents.length, turns, index === turns.length ? resume : undefined);
      if (outcome.paused) return { kind: 'paused', actions: outcome.paused };
      resume = undefined;
    }
    return { kind: 'completed', result: teamResult(turns) };
  }

  private async roundRobin(exec: RunExecution, resume?: AgentInput): Promise<OrchestrationOutcome> {
    const { agents, orchestration } = exec.run.team;
    const turns = exec.state.turns ?? [];
    while (turns.length < orchestration.max_iterations && !FINAL_ANSWER.test(turns.at(-1)?.output ?? '')) {
      const index = turns.length;
      const outcome = await this.memberTurn(exec, agents[index % agents.length], index, orchestration.max_iterations, turns, resume);
      if (outcome.paused) return { kind: 'paused', actions: outcome.paused };
      resume = undefined;
    }
    return { kind: 'completed', result: teamResult(turns) };
  }

  /**
   * A supervisor agent that calls each member as a tool (`ask_<name>`). Its thread is the run
   * id; a takeover after a crash starts the supervisor again (members' answers are not reused).
   */
  private async supervisor(exec: RunExecution): Promise<OrchestrationOutcome> {
    const { agents, orchestration } = exec.run.team;
    const total = agents.length + 1;
    const turns: Turn[] = [];
    const members: StructuredToolInterface[] = agents.map((member) =>
      tool(
        async ({ request }: { request: string }) => {
          const outcome = await this.memberTurn(exec, member, turns.length, total, turns, undefined, request, `${exec.run.id}:${exec.run.attempts}:${turns.length}`);
          return outcome.output;
        },
        { name: `ask_${member.name.replace(/-/g, '_')}`, description: `Ask the ${member.role} (${member.capabilities.join(', ') || member.role}) to do part of the task.`, schema: z.object({ request: z.string() }) },
      ),
    );
    const lead: TeamAgent = {
      name: 'supervisor',
      role: 'supervisor',
      model: agents[0]?.model ?? null,
      system_prompt:
        `You lead a team: ${agents.map((a) => `${a.name} (${a.role})`).join(', ')}. Delegate parts of the task with the ask_* tools, one at a time, ` +
        `at most ${orchestration.max_iterations} calls, then answer with the final report: a summary and the key findings as a list.`,
      capabilities: [],
      tools: [],
    };
    exec.setProgress('supervisor: planning', 0, total);
    await exec.message('supervisor', 'status', 'Supervisor is planning the work');
    const outcome = await this.runAgent(exec, lead, `Task: ${exec.run.task}`, `${exec.run.id}:${exec.run.attempts}:lead`, undefined, members);
    if (outcome.paused) return { kind: 'paused', actions: outcome.paused };
    turns.push({ agent: 'supervisor', output: outcome.output });
    await exec.message('supervisor', 'message', outcome.output);
    exec.setProgress('supervisor: done', total, total);
    return { kind: 'completed', result: teamResult(turns) };
  }

  /** One member's turn: announce it, run the agent, store its message and the new state. */
  private async memberTurn(
    exec: RunExecution,
    member: TeamAgent,
    index: number,
    total: number,
    turns: Turn[],
    resume?: AgentInput,
    request?: string,
    threadId?: string,
  ): Promise<TurnOutcome> {
    // A consent continuation resumes the paused thread; anything else starts a fresh one.
    const thread = threadId ?? (resume && exec.state.thread ? exec.state.thread.id : `${exec.run.id}:${exec.run.attempts}:${index}`);
    if (!resume) {
      exec.setProgress(`${member.role}: working`, index, total);
      await exec.message(member.name, 'status', `${member.role} is working on the task`);
      if (!threadId) exec.saveState({ ...exec.state, turns, thread: { id: thread, agent: member.name, turn: index } });
    }
    const prompt = request ? `Task: ${exec.run.task}\nRequest from the supervisor: ${request}` : this.prompt(exec, member, index, total, turns);
    const outcome = await this.runAgent(exec, member, prompt, thread, resume);
    if (outcome.paused) return outcome;
    turns.push({ agent: member.name, output: outcome.output });
    await exec.message(member.name, 'message', outcome.output);
    exec.saveState({ ...exec.state, turns, thread: null });
    exec.setProgress(`${member.role}: done`, index + 1, total);
    await exec.flush();
    return outcome;
  }

  private async runAgent(exec: RunExecution, member: TeamAgent, prompt: string, thread: string, resume?: AgentInput, extraTools?: StructuredToolInterface[]): Promise<TurnOutcome> {
    const model = this.models.resolve(member.model);
    exec.modelUsed = model;
    let output = '';
    const events = this.agent.run(resume ?? { kind: 'message', text: prompt }, {
      userId: exec.run.userId,
      conversationId: thread,
      model,
      signal: exec.signal,
      member: { systemPrompt: member.system_prompt, tools: member.tools, extraTools },
    });
    for await (const event of events) {
      if (event.type === 'text') {
        output += event.content;
        exec.emit('chunk', { agent: member.name, content: event.content });
      } else if (event.type === 'tool_calls') {
        exec.emit('tool_calls', { agent: member.name, tool_calls: event.toolCalls });
        for (const call of event.toolCalls) await exec.message(member.name, 'tool_call', `${call.name}(${JSON.stringify(call.arguments)})`);
      } else if (event.type === 'tool_result') {
        exec.emit('results', { agent: member.name, results: [event.result] });
        await exec.message(member.name, 'tool_result', `${event.result.name}: ${event.result.content}`);
        // A supervisor's text before a delegation is thinking aloud, not its answer.
        if (extraTools) output = '';
      } else if (event.type === 'usage') {
        exec.addUsage(event.usage);
      } else {
        return { output, paused: event.actions };
      }
    }
    exec.signal.throwIfAborted();
    return { output: output.trim() };
  }

  private prompt(exec: RunExecution, member: TeamAgent, index: number, total: number, turns: Turn[]): string {
    const { orchestration } = exec.run.team;
    const lines = [`Task: ${exec.run.task}`, `Team member: ${member.name} (${member.role}), turn ${index + 1} of at most ${total}.`];
    if (turns.length) lines.push('Work so far:', ...turns.map((turn) => `[${turn.agent}]: ${turn.output}`));
    lines.push(
      orchestration.type === 'round_robin'
        ? 'The team works round robin. Add your part; when the task is done, start your answer with FINAL ANSWER.'
        : 'Do your part of the task, building on the work so far.',
    );
    return lines.join('\n');
  }
}

/** summary: the last answer's first paragraph; key findings: the list items the team wrote. */
export function teamResult(turns: Turn[]): TeamResult {
  const last = turns.at(-1)?.output ?? '';
  const summary = (last.replace(/^FINAL ANSWER:?\s*/i, '').split(/\n\s*\n|\n(?=\s*[-*•]|\s*\d+\.)/)[0] ?? '').trim();
  const findings = turns.flatMap((turn) =>
    turn.output
      .split('\n')
      .map((line) => /^\s*(?:[-*•]|\d+\.)\s+(.+)$/.exec(line)?.[1]?.trim())
      .filter((line): line is string => Boolean(line)),
  );
  const unique = [...new Set(findings)].slice(0, 10);
  return {
    summary: summary.slice(0, 2000),
    key_findings: unique.length ? unique : turns.map((turn) => `${turn.agent}: ${turn.output.split('\n')[0].slice(0, 200)}`),
    deliverables: [],
  };
}
