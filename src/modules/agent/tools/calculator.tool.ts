import { Injectable } from '@nestjs/common';
import { tool } from '@langchain/core/tools';
import { all, create } from 'mathjs';
import { z } from 'zod';
import type { AgentTool } from './agent-tool';

const math = create(all);
const evaluate = math.evaluate.bind(math);
// The model writes the expression: remove the functions that reach beyond arithmetic
// (mathjs' own hardening advice), so an expression cannot define or import anything.
math.import(
  Object.fromEntries(
    ['import', 'createUnit', 'evaluate', 'parse', 'simplify', 'derivative', 'compile', 'resolve', 'reviver', 'replacer'].map((name) => [
      name,
      () => {
        throw new Error(`${name} is disabled`);
      },
    ]),
  ),
  { override: true },
);

@Injectable()
export class CalculatorTool implements AgentTool {
  readonly name = 'calculator';
  readonly sensitive = false;

  build() {
    return tool(
      ({ expression }) => {
        const result: unknown = evaluate(expression);
        if (typeof result === 'function' || result === undefined) throw new Error('not an arithmetic expression');
        return math.format(result as number, { precision: 14 });
      },
      {
        name: this.name,
        description: 'Evaluates an arithmetic expression, e.g. "2 * (3 + 4) / 7" or "sqrt(2)^2". Units and matrices work too.',
        schema: z.object({ expression: z.string().min(1).max(500) }),
      },
    );
  }
}
