import { Injectable } from '@nestjs/common';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { initChatModel } from 'langchain';
import { AppException } from '../../../common/errors/app.exception';
import { ErrorCode } from '../../../common/errors/error-code';
import { AppConfig } from '../../../config/app-config';
import { DEMO_MODEL, DEMO_PROVIDER, DemoChatModel } from './demo-chat-model';
import { reuseBoundTools } from './reuse-bound-tools';

export interface ProviderInfo {
  name: string;
  configured: boolean;
  /** Models offered in GET /models: the only ones a caller may choose. */
  models: string[];
}

interface ProviderSpec {
  configured: (config: AppConfig) => boolean;
  models: (config: AppConfig) => string[];
  /** Whether the model takes image content blocks (VISION_MODELS / TEXT_ONLY_MODELS override). */
  vision: (model: string) => boolean;
  /** Options for initChatModel, provider package specific. */
  options: (config: AppConfig, model: string) => Record<string, unknown>;
}

/** Every provider the registry knows; each is enabled by its configuration. */
const PROVIDERS: Record<string, ProviderSpec> = {
  openai: {
    configured: (c) => Boolean(c.llm.openai.apiKey || c.llm.openai.baseUrl),
    models: (c) => listed(c.llm.openai.models, ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini']),
    // Current OpenAI chat models take images; these older or small reasoning ones do not.
    vision: (model) => !/^(gpt-3\.5|gpt-4-(0314|0613|32k)|o1-mini|o3-mini|text-|davinci|babbage)/.test(model),
    options: (c) => ({
      apiKey: c.llm.openai.apiKey ?? 'not-needed',
      configuration: c.llm.openai.baseUrl ? { baseURL: c.llm.openai.baseUrl } : undefined,
      // One tool call per turn keeps consent to one decision at a time where the API honours it.
      modelKwargs: { parallel_tool_calls: false },
      streamUsage: true,
    }),
  },
  azure_openai: {
    configured: (c) => Boolean(c.llm.azureOpenai.apiKey && c.llm.azureOpenai.endpoint),
    models: (c) => (c.llm.azureOpenai.deployment ? [c.llm.azureOpenai.deployment] : []),
    // A deployment's name says nothing of its model: VISION_MODELS must name it.
    vision: () => false,
    options: (c, model) => ({
      azureOpenAIApiKey: c.llm.azureOpenai.apiKey,
      azureOpenAIEndpoint: c.llm.azureOpenai.endpoint,
      azureOpenAIApiDeploymentName: model,
      azureOpenAIApiVersion: c.llm.azureOpenai.apiVersion,
    }),
  },
  anthropic: {
    configured: (c) => Boolean(c.llm.anthropic.apiKey),
    models: (c) => listed(c.llm.anthropic.models, ['claude-sonnet-4-5', 'claude-haiku-4-5']),
    vision: (model) => !/^claude-(instant|2)/.test(model),
    options: (c) => ({ apiKey: c.llm.anthropic.apiKey }),
  },
  'google-genai': {
    configured: (c) => Boolean(c.llm.google.apiKey),
    models: (c) => listed(c.llm.google.models, ['gemini-2.5-flash', 'gemini-2.5-pro']),
    vision: (model) => model.startsWith('gemini-'),
    options: (c) => ({ apiKey: c.llm.google.apiKey }),
  },
  groq: {
    configured: (c) => Boolean(c.llm.groq.apiKey),
    models: (c) => listed(c.llm.groq.models, ['llama-3.3-70b-versatile']),
    vision: (model) => /llama-4|vision/.test(model),
    options: (c) => ({ apiKey: c.llm.groq.apiKey }),
  },
  ollama: {
    configured: (c) => Boolean(c.llm.ollama.baseUrl),
    models: (c) => listed(c.llm.ollama.models, ['llama3.1']),
    vision: (model) => /llava|vision|gemma3|qwen2\.5vl|minicpm-v|moondream|llama4/.test(model),
    options: (c) => ({ baseUrl: c.llm.ollama.baseUrl }),
  },
};

/**
 * Builds chat model instances from `provider:model` strings. The instance (not the string) is
 * what createAgent gets: a bare "openai:..." string would switch it to the Responses API.
 * Callers choose only among the offered models (GET /models): an arbitrary name could reach
 * any model of a provider's account, and each new name would cost an agent in memory.
 */
@Injectable()
export class ModelRegistry {
  readonly defaultModel: string;
  /** Whether the offline demo model may be chosen (no provider configured, or DEMO_MODEL_ENABLED). */
  readonly demoOffered: boolean;
  private readonly offered: string[];

  constructor(private readonly config: AppConfig) {
    const firstConfigured = this.firstConfiguredModel();
    this.defaultModel = config.llm.defaultModel ?? firstConfigured ?? DEMO_MODEL;
    this.demoOffered = !firstConfigured || config.llm.demoEnabled || this.defaultModel === DEMO_MODEL;
    const listed = this.providers()
      .filter((provider) => provider.configured)
      .flatMap((provider) => provider.models.map((model) => `${provider.name}:${model}`));
    this.offered = [...new Set([this.defaultModel, ...listed, ...config.llm.fallbackModels])];
  }

  get isDemo(): boolean {
    return this.defaultModel.startsWith(`${DEMO_PROVIDER}:`);
  }

  providers(): ProviderInfo[] {
    const configured = Object.entries(PROVIDERS).map(([name, spec]) => ({
      name,
      configured: spec.configured(this.config),
      models: spec.configured(this.config) ? spec.models(this.config) : [],
    }));
    return [...configured, { name: DEMO_PROVIDER, configured: this.demoOffered, models: this.demoOffered ? [DEMO_MODEL.split(':')[1]] : [] }];
  }

  /** `provider:model` strings a caller may choose from, the default first. */
  availableModels(): string[] {
    return this.offered;
  }

  isOffered(model: string): boolean {
    return this.offered.includes(model);
  }

  /** Whether `model` (`provider:model`) takes image content blocks; the demo model does. */
  acceptsImages(model: string): boolean {
    const { visionModels, textOnlyModels } = this.config.llm;
    if (visionModels.includes(model)) return true;
    if (textOnlyModels.includes(model)) return false;
    const [provider, name] = splitModel(model);
    if (provider === DEMO_PROVIDER) return true;
    return Object.hasOwn(PROVIDERS, provider) && PROVIDERS[provider].vision(name);
  }

  /** Refuses images for a model that cannot see them, before anything is stored or sent. */
  assertAcceptsImages(model: string, images: number): void {
    if (images > 0 && !this.acceptsImages(model)) {
      const details = { attachments: ['contain images; choose a model with "vision": true (GET /models) or attach text files only'] };
      throw AppException.validation(details, `Model "${model}" cannot take images`);
    }
  }

  /** Checks a caller's model choice without building it (bad input fails before anything is stored). */
  resolve(spec: string | null | undefined): string {
    const model = spec ?? this.defaultModel;
    if (!this.isOffered(model)) {
      throw AppException.validation({ model: ['is not offered by this server; GET /models lists the choices'] });
    }
    return model;
  }

  /**
   * The model for a reply: the caller's choice (checked), else the conversation's stored one
   * while it is still offered (the server's offer may have changed since), else the default.
   */
  choose(requested: string | null | undefined, stored: string | null | undefined): string {
    if (requested) return this.resolve(requested);
    return stored && this.isOffered(stored) ? stored : this.defaultModel;
  }

  async create(spec: string): Promise<BaseChatModel> {
    const [provider, name] = splitModel(this.resolve(spec));
    if (provider === DEMO_PROVIDER) return new DemoChatModel({});
    // Own keys only: a provider named "__proto__" or "constructor" must not reach Object.prototype.
    const entry = Object.hasOwn(PROVIDERS, provider) ? PROVIDERS[provider] : undefined;
    if (!entry || !name) throw AppException.validation({ model: [`unknown provider "${provider}"`] });
    if (!entry.configured(this.config)) {
      throw new AppException(ErrorCode.ServiceUnavailable, `Provider "${provider}" is not configured on this server`);
    }
    const configurable = await initChatModel(name, {
      modelProvider: provider,
      timeout: this.config.llm.timeoutMs,
      maxRetries: 1,
      ...entry.options(this.config, name),
    });
    // initChatModel answers a ConfigurableModel, which caches its provider model by the whole
    // call config (thread id, callbacks, ...): behind an agent it built a new client (and
    // bound the tools again) on every model call. The model it built up front is the same one.
    return reuseBoundTools(await configurable._getModelInstance());
  }

  private firstConfiguredModel(): string | undefined {
    for (const [name, spec] of Object.entries(PROVIDERS)) {
      const models = spec.configured(this.config) ? spec.models(this.config) : [];
      if (models.length) return `${name}:${models[0]}`;
    }
    return undefined;
  }
}

function listed(configured: string[], builtIn: string[]): string[] {
  return configured.length ? configured : builtIn;
}

function splitModel(spec: string): [string, string] {
  const index = spec.indexOf(':');
  return index === -1 ? [spec, ''] : [spec.slice(0, index), spec.slice(index + 1)];
}
