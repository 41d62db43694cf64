import { parse } from 'mathjs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { checkArithmetic, NotArithmeticError } from './arithmetic';
import { CalculatorPool, EvaluationTimeoutError } from './calculator-pool';
import { CalculatorTool } from './calculator.tool';

describe(checkArithmetic.name, () => {
  it.each(['2 * (3 + 4) / 7', '-2^2', '10 % 3', '50%', 'sqrt(2)^2', 'max(1, 2, 3) + round(pi, 2)', '1e308 * 10'])('accepts %s', (expression) => {
    expect(() => checkArithmetic(expression, parse)).not.toThrow();
  });

  it.each([
    'det(random([500, 500]))',
    '[1, 2, 3]',
    'ones(10000, 10000)',
    'zeros(1e6)',
    '"a" + "b"',
    'f(x) = x',
    'a = 1',
    '1:1e9',
    '3 cm + 1 m',
    'x',
    'import({}, {})',
    'evaluate("1")',
    '5!',
    '1 ? 2 : 3',
    'sqrt(-1) == 1',
    `${'1+'.repeat(150)}1`,
  ])('refuses %s', (expression) => {
    expect(() => checkArithmetic(expression, parse)).toThrow(NotArithmeticError);
  });
});

describe(CalculatorPool.name, () => {
  let sut: CalculatorPool;
  afterEach(() => sut.close());

  it('evaluates off the main thread', async () => {
    sut = new CalculatorPool(1, 2000);
    await expect(sut.evaluate('2 * (3 + 4)')).resolves.toBe('14');
    await expect(sut.evaluate('1 / 3')).resolves.toBe('0.33333333333333');
  });

  it('checks the allow-list in the worker before evaluating', async () => {
    sut = new CalculatorPool(1, 2000);
    await expect(sut.evaluate('det(random([600, 600]))')).rejects.toThrow(/function not allowed/);
    await expect(sut.evaluate('6 * 7')).resolves.toBe('42');
  });

  it('ends an evaluation over its deadline without blocking the event loop, and keeps serving', async () => {
    sut = new CalculatorPool(1, 1000, 64, null); // no allow-list: the deadline is what is tested
    await sut.evaluate('1 + 1'); // worker started
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = Date.now();
    await expect(sut.evaluate('det(random([600, 600]))')).rejects.toThrow(EvaluationTimeoutError);
    delay.disable();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(delay.max / 1e6).toBeLessThan(250);
    await expect(sut.evaluate('6 * 7')).resolves.toBe('42');
  });
});

describe(CalculatorTool.name, () => {
  const sut = new CalculatorTool();
  afterAll(() => sut.onModuleDestroy());

  it('answers arithmetic and refuses anything else with a clear error', async () => {
    const calculator = sut.build();
    await expect(calculator.invoke({ expression: '2 * (3 + 4)' })).resolves.toBe('14');
    await expect(calculator.invoke({ expression: 'det(random([500, 500]))' })).rejects.toThrow(/not allowed/);
  });
});
