import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds; requests, model calls and first tokens share them (SSE requests land in the top ones). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
/** OpenTelemetry GenAI's recommended token-count buckets. */
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304];

/**
 * Every Prometheus instrument this instance exposes, in a registry of its own (several apps
 * can live in one process, as in the tests). Names follow Prometheus conventions (unit suffix,
 * `_total` on counters) and OpenTelemetry's semantic conventions where one exists (GenAI,
 * HTTP server, database client). A feature adds its own instruments with `registers:
 * [metrics.registry]` (as `RunMetrics` does; see the README's Operations section).
 */
@Injectable()
export class AppMetrics {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'HTTP requests by route template, method and status code (SSE requests last the whole stream)',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly genAiDuration = new Histogram({
    name: 'gen_ai_client_operation_duration_seconds',
    help: 'Model calls: duration per provider and model (error_type set when the call failed)',
    labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'error_type'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly genAiTokens = new Histogram({
    name: 'gen_ai_client_token_usage',
    help: 'Tokens per model call, by type (input, output), provider and model',
    labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model', 'gen_ai_token_type'] as const,
    buckets: TOKEN_BUCKETS,
    registers: [this.registry],
  });

  readonly genAiTimeToFirstToken = new Histogram({
    name: 'gen_ai_server_time_to_first_token_seconds',
    help: 'Time from a streamed model call start to its first token, per provider and model',
    labelNames: ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_request_model'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly toolCalls = new Counter({
    name: 'gen_ai_tool_calls_total',
    help: 'Agent tool executions by tool and outcome (success, error)',
    labelNames: ['gen_ai_tool_name', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly consentDecisions = new Counter({
    name: 'consent_decisions_total',
    help: 'Consent requests resolved, by outcome (approved, rejected, partial, expired)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly idempotentReplays = new Counter({
    name: 'http_idempotent_replays_total',
    help: 'Requests answered from an Idempotency-Key record, by outcome (replayed, reattached, conflict, reused)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /**
   * A gauge read when scraped (open streams, sockets, pool state), so nothing has to be kept in
   * step. `read` answers one value, or one per label set.
   */
  gaugeFrom(name: string, help: string, read: () => number, labelNames?: never[]): Gauge;
  gaugeFrom<L extends string>(name: string, help: string, read: () => Array<[Record<L, string>, number]>, labelNames: L[]): Gauge<L>;
  gaugeFrom<L extends string>(name: string, help: string, read: () => number | Array<[Record<L, string>, number]>, labelNames: L[] = []): Gauge<L> {
    return new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        const value = read();
        if (typeof value === 'number') return void this.set(value);
        for (const [labels, sample] of value) this.set(labels, sample);
      },
    });
  }
}
