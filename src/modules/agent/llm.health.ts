import { Injectable, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { HealthRegistry } from '../health/health.registry';
import { ModelRegistry } from './models/model-registry';

/** Reports LLM configuration in /api/health (never in readiness: a provider outage must not stop serving). */
@Injectable()
export class LlmHealthIndicator implements OnModuleInit {
  constructor(
    private readonly models: ModelRegistry,
    private readonly health: HealthIndicatorService,
    private readonly registry: HealthRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register(() => {
      const providers = Object.fromEntries(this.models.providers().map((p) => [p.name, p.configured ? 'configured' : 'not configured']));
      return this.health.check('llm').up({
        default_model: this.models.defaultModel,
        demo: this.models.isDemo,
        ...(this.models.isDemo ? { note: 'No LLM provider configured: the offline demo model answers' } : {}),
        providers,
      });
    });
  }
}
