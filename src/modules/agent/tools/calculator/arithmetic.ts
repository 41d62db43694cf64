import type { MathNode } from 'mathjs';

/** Longer expressions are not arithmetic a person would ask for. */
export const MAX_EXPRESSION_LENGTH = 200;
const MAX_FUNCTION_ARGS = 10;

const OPERATORS = new Set(['add', 'subtract', 'multiply', 'divide', 'pow', 'mod', 'unaryMinus', 'unaryPlus']);
const FUNCTIONS = new Set([
  'abs', 'sqrt', 'cbrt', 'exp', 'log', 'log10', 'log2', 'sin', 'cos', 'tan', 'asin', 'acos', 'atan',
  'sinh', 'cosh', 'tanh', 'round', 'floor', 'ceil', 'min', 'max',
]);
const CONSTANTS = new Set(['pi', 'e', 'tau', 'phi']);

export class NotArithmeticError extends Error {}

/**
 * Runs in the calculator's worker threads (loaded by path, as TypeScript under jest), with their
 * mathjs `parse`: the main thread never loads mathjs (~30 MB of heap, 1,000 modules).
 *
 * Accepts scalar arithmetic only: numbers, + - * / ^ %, unary minus, parentheses, and a few
 * scalar functions and constants. Matrices, units, strings, assignments and every other
 * function are refused before anything is evaluated, since those can allocate or compute
 * without bound (`det(random([500, 500]))`).
 */
export function checkArithmetic(expression: string, parse: (expression: string) => MathNode): void {
  if (expression.length > MAX_EXPRESSION_LENGTH) throw new NotArithmeticError(`expression longer than ${MAX_EXPRESSION_LENGTH} characters`);
  let root: MathNode;
  try {
    root = parse(expression);
  } catch (error) {
    throw new NotArithmeticError(`cannot parse the expression: ${(error as Error).message}`);
  }
  assertScalar(root);
}

function assertScalar(node: MathNode): void {
  const n = node as MathNode & { value?: unknown; fn?: unknown; args?: MathNode[]; content?: MathNode; name?: string };
  switch (node.type) {
    case 'ConstantNode':
      if (typeof n.value !== 'number') throw new NotArithmeticError('only numbers are allowed');
      return;
    case 'ParenthesisNode':
      return assertScalar(n.content as MathNode);
    case 'SymbolNode':
      if (!CONSTANTS.has(n.name ?? '')) throw new NotArithmeticError(`unknown name "${n.name}"; constants: ${[...CONSTANTS].join(', ')}`);
      return;
    case 'OperatorNode':
      if (!OPERATORS.has(String(n.fn))) throw new NotArithmeticError('only + - * / ^ % and unary minus are allowed');
      return n.args!.forEach(assertScalar);
    case 'FunctionNode': {
      const name = (n.fn as { type?: string; name?: string }).type === 'SymbolNode' ? (n.fn as { name: string }).name : '';
      if (!FUNCTIONS.has(name)) throw new NotArithmeticError(`function not allowed; allowed: ${[...FUNCTIONS].join(', ')}`);
      if (n.args!.length > MAX_FUNCTION_ARGS) throw new NotArithmeticError('too many arguments');
      return n.args!.forEach(assertScalar);
    }
    default:
      throw new NotArithmeticError(`${node.type.replace(/Node$/, '').toLowerCase()} expressions are not allowed; scalar arithmetic only`);
  }
}
