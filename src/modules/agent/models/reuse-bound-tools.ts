import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { LRUCache } from 'lru-cache';

/** Bound variants kept per model: one per agent (tool set), so a few; bounds per-run tool sets. */
const MAX_BOUND = 64;

/**
 * Makes `model.bindTools` answer the same bound model for the same tools (by identity) and
 * options. createAgent binds the tools on every model call, and ChatOpenAI's bindTools builds
 * a whole new ChatOpenAI (and OpenAI client) each time; the bound model holds no per-call state.
 */
export function reuseBoundTools<T extends BaseChatModel>(model: T): T {
  const bindTools = model.bindTools?.bind(model);
  if (!bindTools) return model;
  const ids = new WeakMap<object, number>();
  let nextId = 0;
  const idOf = (tool: unknown) => {
    if (typeof tool !== 'object' || tool === null) return JSON.stringify(tool);
    let id = ids.get(tool);
    if (id === undefined) ids.set(tool, (id = ++nextId));
    return id;
  };
  const bound = new LRUCache<string, ReturnType<typeof bindTools>>({ max: MAX_BOUND });
  model.bindTools = (tools, kwargs) => {
    const key = JSON.stringify([tools.map(idOf), kwargs ?? null]);
    let result = bound.get(key);
    if (!result) bound.set(key, (result = bindTools(tools, kwargs)));
    return result;
  };
  return model;
}
