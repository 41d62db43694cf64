import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import type { AgentTool } from '../agent-tool';
import { MAX_EXPRESSION_LENGTH } from './arithmetic';
import { CalculatorPool } from './calculator-pool';

/** Scalar arithmetic needs microseconds; anything near this is an attack, not a sum. */
const EVALUATION_TIMEOUT_MS = 1000;

@Injectable()
export class CalculatorTool implements AgentTool, OnModuleDestroy {
  readonly name = 'calculator';
  readonly sensitive = false;
  private readonly pool = new CalculatorPool(2, EVALUATION_TIMEOUT_MS);

  build() {
    return tool(
      ({ expression }) => {
        // The model writes the expression: off the event loop and with a deadline, the worker
        // checks it on the allow-list (arithmetic.ts) before any evaluation.
        return this.pool.evaluate(expression);
      },
      {
        name: this.name,
        description: 'Evaluates scalar arithmetic: numbers, + - * / ^ %, parentheses, sqrt, abs, exp, log, sin, cos, tan, round, min, max, pi, e. Example: "2 * (3 + 4) / 7".',
        schema: z.object({ expression: z.string().min(1).max(MAX_EXPRESSION_LENGTH) }),
      },
    );
  }

  onModuleDestroy(): Promise<void> {
    return this.pool.close();
  }
}
