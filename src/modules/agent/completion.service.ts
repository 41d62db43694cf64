import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { estimatePromptTokens, UsageService } from './usage.service';
import { ModelRegistry } from './models/model-registry';
import { CompletionRequestDto, CompletionResponseDto } from './dto/models.dto';

@Injectable()
export class CompletionService {
  constructor(
    private readonly models: ModelRegistry,
    private readonly usage: UsageService,
  ) {}

  async complete(userId: string, request: CompletionRequestDto): Promise<CompletionResponseDto> {
    const spec = this.models.resolve(request.model);
    const reserved = await this.usage.reserve(userId, estimatePromptTokens(request.messages.map((message) => message.content).join(' ')));
    let usage: CompletionResponseDto['usage'] = null;
    try {
      const reply = await this.invoke(spec, request);
      usage = reply.usage;
      return { model: spec, content: reply.content, usage };
    } finally {
      await this.usage.settle(userId, reserved, usage, spec);
    }
  }

  private async invoke(spec: string, request: CompletionRequestDto): Promise<Omit<CompletionResponseDto, 'model'>> {
    const model = await this.models.create(spec);
    const bound = request.temperature === undefined ? model : model.withConfig({ temperature: request.temperature } as never);
    let reply;
    try {
      reply = await bound.invoke(request.messages.map((message) => ({ role: message.role, content: message.content })));
    } catch (error) {
      throw new AppException(ErrorCode.ServiceUnavailable, `The model provider failed: ${providerFailure(error)}`);
    }
    const usage = reply.usage_metadata
      ? { input_tokens: reply.usage_metadata.input_tokens, output_tokens: reply.usage_metadata.output_tokens, total_tokens: reply.usage_metadata.total_tokens }
      : null;
    return { content: typeof reply.content === 'string' ? reply.content : JSON.stringify(reply.content), usage };
  }
}

/** A short, secret-free description of a provider error (status and class, never the request). */
export function providerFailure(error: unknown): string {
  const status = (error as { status?: unknown })?.status;
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError' || /timed? ?out/i.test(error.message))) return 'timed out';
  if (typeof status === 'number') return `HTTP ${status}`;
  return error instanceof Error ? error.name : 'unknown error';
}
