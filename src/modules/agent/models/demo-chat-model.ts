import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import { BaseChatModel, type BaseChatModelCallOptions, type BindToolsInput } from '@langchain/core/language_models/chat_models';
import { AIMessage, AIMessageChunk, type BaseMessage, ToolMessage } from '@langchain/core/messages';
import { ChatGenerationChunk, type ChatResult } from '@langchain/core/outputs';
import { randomUUID } from 'node:crypto';
import { planTeamTurn, toolTriggerText } from './demo-team-plans';

interface DemoCallOptions extends BaseChatModelCallOptions {
  tools?: BindToolsInput[];
}

type Plan = { kind: 'text'; text: string } | { kind: 'tool'; name: string; args: Record<string, unknown> };

export const DEMO_PROVIDER = 'demo';
export const DEMO_MODEL = 'demo:assistant';
/** The demo echoes at most this much of a message. */
const ECHO_LIMIT = 200;

const HELP =
  'Try: "what time is it?", "calculate 2 * (3 + 4)", "search my conversations for invoices", ' +
  'or "submit a document titled Quarterly report" (that one asks for your consent first).';

/**
 * The model that answers when no LLM provider is configured: offline and deterministic, but a
 * real LangChain chat model (streaming, tool calling), so every flow of the product, consent
 * included, can be tried without a key. Replies say they come from the demo.
 */
export class DemoChatModel extends BaseChatModel<DemoCallOptions> {
  static override lc_name() {
    return 'DemoChatModel';
  }

  _llmType(): string {
    return DEMO_PROVIDER;
  }

  override bindTools(tools: BindToolsInput[]) {
    return this.withConfig({ tools } as Partial<DemoCallOptions>);
  }

  async _generate(messages: BaseMessage[], options: this['ParsedCallOptions'], runManager?: CallbackManagerForLLMRun): Promise<ChatResult> {
    let message: AIMessageChunk | undefined;
    for await (const chunk of this._streamResponseChunks(messages, options, runManager)) {
      message = message ? message.concat(chunk.message as AIMessageChunk) : (chunk.message as AIMessageChunk);
    }
    const final = new AIMessage({
      content: message?.content ?? '',
      tool_calls: message?.tool_calls,
      usage_metadata: message?.usage_metadata,
    });
    return { generations: [{ text: typeof final.content === 'string' ? final.content : '', message: final }] };
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    const plan = planReply(messages, toolNames(options.tools));
    const inputTokens = countTokens(messages.map((m) => textOf(m)).join(' '));
    if (plan.kind === 'tool') {
      const id = `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
      yield new ChatGenerationChunk({
        text: '',
        message: new AIMessageChunk({
          content: '',
          tool_call_chunks: [{ type: 'tool_call_chunk', id, name: plan.name, args: JSON.stringify(plan.args), index: 0 }],
          usage_metadata: { input_tokens: inputTokens, output_tokens: 8, total_tokens: inputTokens + 8 },
        }),
      });
      return;
    }
    const words = plan.text.split(/(?<= )/);
    for (const [index, word] of words.entries()) {
      options.signal?.throwIfAborted();
      const last = index === words.length - 1;
      const outputTokens = countTokens(plan.text);
      yield new ChatGenerationChunk({
        text: word,
        message: new AIMessageChunk({
          content: word,
          usage_metadata: last ? { input_tokens: inputTokens, output_tokens: outputTokens, total_tokens: inputTokens + outputTokens } : undefined,
        }),
      });
      await runManager?.handleLLMNewToken(word);
    }
  }
}

function toolNames(tools: BindToolsInput[] | undefined): Set<string> {
  const names = (tools ?? []).map((tool) => {
    const candidate = tool as { name?: string; function?: { name?: string } };
    return candidate.name ?? candidate.function?.name;
  });
  return new Set(names.filter((name): name is string => typeof name === 'string'));
}

function textOf(message: BaseMessage): string {
  return typeof message.content === 'string' ? message.content : JSON.stringify(message.content);
}

function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.split(/\s+/).filter(Boolean).length * 1.3));
}

/** Decides the demo's next move from the conversation so far. */
export function planReply(messages: BaseMessage[], tools: Set<string>): Plan {
  const last = messages[messages.length - 1];
  // A team supervisor (its members are `ask_*` tools) follows its own plan, tool results included.
  if ([...tools].some((name) => name.startsWith('ask_'))) {
    const supervised = planTeamTurn(messages, tools, last ? textOf(last) : '');
    if (supervised) return supervised;
  }
  if (last && ToolMessage.isInstance(last)) {
    const status = last.status === 'error' ? 'did not run' : 'returned';
    return { kind: 'text', text: `[demo model] The ${last.name ?? 'tool'} tool ${status}: ${textOf(last)}` };
  }
  const fullText = last ? userText(last) : '';
  // Team runs: a member's prompt carries earlier members' output; only its task may pick a tool.
  const text = toolTriggerText(fullText);
  const lower = text.toLowerCase();

  // Every match below is a single forward scan (no nested or lazy quantifiers that backtrack),
  // so a 32 KB message costs microseconds, not seconds.
  const calculation = after(text, /\b(?:calculate|compute|what is|what's)\s+/i);
  const expression = calculation === undefined ? '' : (/^[-+*/^().,%\d\s]+/.exec(calculation)?.[0] ?? '').trimEnd();
  const arithmetic = expression.slice(0, lastIndexOfAny(expression, '0123456789)') + 1);
  if (arithmetic && tools.has('calculator')) return { kind: 'tool', name: 'calculator', args: { expression: arithmetic.trim() } };
  if (/\b(time|date|clock)\b/.test(lower) && tools.has('current_time')) return { kind: 'tool', name: 'current_time', args: {} };
  const searched = after(text, /\bsearch\b/i);
  const query = searched === undefined ? '' : stripEnd((after(searched, /\bfor\b/i) ?? searched).trim(), '?.!');
  if (query && tools.has('search_conversations')) return { kind: 'tool', name: 'search_conversations', args: { query } };
  const fileId = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/i.exec(text)?.[0];
  if (fileId && /\bshare\b/.test(lower) && tools.has('share_file')) return { kind: 'tool', name: 'share_file', args: { file_id: fileId } };
  if (fileId && /\bread\b/.test(lower) && tools.has('read_file')) return { kind: 'tool', name: 'read_file', args: { file_id: fileId } };
  if (/\bsubmit\b/.test(lower) && tools.has('submit_document')) {
    const titled = after(text, /\btitled\s+/i);
    const title = titled === undefined ? '' : stripEnd(stripStart(titled.split('\n')[0], '"“'), '"” \t').trim();
    return { kind: 'tool', name: 'submit_document', args: { title: title || 'Demo document', content: text } };
  }
  const member = planTeamTurn(messages, tools, fullText);
  if (member) return member;
  return {
    kind: 'text',
    text: `[demo model] ${last ? received(last) : ''}This is the offline demo answering. You said: "${text.length > ECHO_LIMIT ? `${text.slice(0, ECHO_LIMIT)}…` : text}". ${HELP}`,
  };
}

/** The text after the first match of `pattern` (undefined when it does not occur). */
function after(text: string, pattern: RegExp): string | undefined {
  const match = pattern.exec(text);
  return match ? text.slice(match.index + match[0].length) : undefined;
}

function lastIndexOfAny(text: string, chars: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (chars.includes(text[i])) return i;
  return -1;
}

function stripStart(text: string, chars: string): string {
  let start = 0;
  while (start < text.length && chars.includes(text[start])) start++;
  return text.slice(start);
}

function stripEnd(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text[end - 1])) end--;
  return text.slice(0, end);
}

/** The text the user typed: the first text block when the message carries attachments. */
function userText(message: BaseMessage): string {
  if (typeof message.content === 'string') return message.content;
  const first = message.content.find((part) => typeof part !== 'string' && part.type === 'text') as { text?: string } | undefined;
  return first?.text ?? '';
}

/** Acknowledges attachments, so a demo conversation shows what reached the model. */
function received(message: BaseMessage): string {
  if (typeof message.content === 'string') return '';
  const parts = message.content as Array<{ type?: string; text?: string }>;
  const images = parts.filter((part) => part.type === 'image' || part.type === 'image_url').length;
  const files = parts.slice(1).filter((part) => part.type === 'text' && part.text?.startsWith('Attached file') && !part.text.endsWith(':')).length;
  if (!images && !files) return '';
  return `I received ${images} image(s) and ${files} file(s) as text. `;
}
