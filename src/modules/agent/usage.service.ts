import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/errors/app.exception';
import { ErrorCode } from '../../common/errors/error-code';
import { AppConfig } from '../../config/app-config';
import type { TokenUsage } from './agent.types';
import { UserLimitsService } from '../user-settings/user-limits.service';
import { UsageRepository } from './usage.repository';

/** A reservation to make: `tokens` against max_tokens_per_day, `defaultLimit` when the user has none (0: unlimited). */
export interface TokenReservation {
  tokens: number;
  defaultLimit: number;
}

/** Token usage per user per UTC day, and the daily budget checked before any model call. */
@Injectable()
export class UsageService {
  constructor(
    private readonly usage: UsageRepository,
    private readonly limits: UserLimitsService,
    private readonly config: AppConfig,
  ) {}

  /** `model`: the `provider:model` that answered; per-model totals then add up to the daily ones. */
  async record(userId: string, usage: TokenUsage, model = 'unknown'): Promise<void> {
    await this.usage.settle(userId, 0, usage, model);
  }

  /**
   * Reserves the most a model call may spend (LLM_MAX_OUTPUT_TOKENS + `promptTokens`) against
   * the user's max_tokens_per_day before the call; `settle` gives back what it did not use.
   * Returns the reservation (0: no limit). 429 QUOTA_EXCEEDED when it does not fit.
   */
  async reserve(userId: string, promptTokens: number): Promise<number> {
    const { tokens, defaultLimit } = this.reservationFor(promptTokens);
    const { limit, reserved } = await this.usage.reserve(userId, tokens, defaultLimit);
    if (limit === 0) return 0;
    if (reserved) return tokens;
    throw this.budgetSpent(limit, await this.usage.totalToday(userId));
  }

  /**
   * What reserve() would reserve, for a statement that reserves as part of its own work
   * (start_reply): the tokens, and the limit of a user without an admin-set one.
   */
  reservationFor(promptTokens: number): TokenReservation {
    return { tokens: this.config.llmMaxOutputTokens + Math.max(0, Math.ceil(promptTokens)), defaultLimit: this.defaultLimit };
  }

  /** The refusal of a reservation that did not fit; `used`: today's total_tokens. */
  budgetSpent(limit: number, used: number): AppException {
    return new AppException(ErrorCode.QuotaExceeded, 'Daily token budget spent (or too little left for another reply); it resets at 00:00 UTC', {
      limit,
      used,
    });
  }

  /** `model` as in record(): what was used also counts in the per-model totals. */
  async settle(userId: string, reserved: number, usage: TokenUsage | null, model = 'unknown'): Promise<void> {
    await this.usage.settle(userId, reserved, usage ?? { input_tokens: 0, output_tokens: 0, total_tokens: 0 }, model);
  }

  async assertWithinBudget(userId: string): Promise<void> {
    // The user's own max_tokens_per_day (Settings api_limits), DEFAULT_MAX_TOKENS_PER_DAY if unset.
    const { limit, used } = await this.usage.budget(userId, this.defaultLimit);
    if (limit === 0) return;
    if (used >= limit) {
      throw new AppException(ErrorCode.QuotaExceeded, 'Daily token budget spent; it resets at 00:00 UTC', { limit, used });
    }
  }

  /** DEFAULT_MAX_TOKENS_PER_DAY, what a user without an admin-set limit gets (as UserLimitsService). */
  private get defaultLimit(): number {
    return this.limits.withDefaults({}).max_tokens_per_day;
  }
}

/** A rough prompt size: about four characters per token, plus a flat cost per image. */
export function estimatePromptTokens(text: string, images = 0): number {
  return Math.ceil(text.length / 4) + images * 1000;
}
