import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

/**
 * The house rules on structure, checked on every `npm test` by reading the import statements of
 * src/ (type-only imports count: they tie modules together as much as value imports do):
 * - imports only point down: src/common, src/config and src/database never import src/modules or
 *   the app's entry files;
 * - the modules (folders under src/modules) form no import cycle;
 * - no source file (specs aside) is longer than MAX_LINES.
 */

const SRC = resolve(__dirname);
const MAX_LINES = 300;
const LOWER_LAYERS = ['common', 'config', 'database'];

/**
 * Module imports that still close a cycle, each to be removed by its owner. Listed as
 * `from -> to` (folders under src/modules); an entry that no longer exists fails the test, so
 * the list can only shrink.
 */
const CYCLE_ALLOW_LIST = new Set<string>([]);

/** Files over MAX_LINES that are being split (remove the entry with the split). */
const SIZE_ALLOW_LIST = new Set<string>([]);

interface SourceFile {
  /** Relative to src/, with forward slashes. */
  path: string;
  lines: number;
  /** Resolved relative imports, relative to src/ without extension. */
  imports: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

const toSrcPath = (full: string) => relative(SRC, full).split(sep).join('/');

function readSource(full: string): SourceFile {
  const text = readFileSync(full, 'utf8');
  // The compiler's own scan: static imports, `export ... from`, import() and require().
  const { importedFiles } = ts.preProcessFile(text, true, true);
  const imports = importedFiles
    .map(({ fileName }) => fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => toSrcPath(resolve(dirname(full), name)).replace(/\.(js|ts)$/, ''));
  return { path: toSrcPath(full), lines: text.split('\n').length, imports };
}

const files = sourceFiles(SRC).map(readSource);
const layerOf = (path: string) => path.split('/')[0];
const moduleOf = (path: string) => (path.startsWith('modules/') ? path.split('/')[1] : undefined);

/** Module -> modules it imports, with one example import per edge for the failure message. */
function moduleGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of files) {
    const from = moduleOf(file.path);
    if (!from) continue;
    for (const target of file.imports) {
      const to = moduleOf(target);
      if (!to || to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      if (!edges.has(to)) edges.set(to, `${file.path} -> ${target}`);
      graph.set(from, edges);
    }
  }
  return graph;
}

/** One cycle (as a path that returns to its start) per strongly connected component, if any. */
function findCycles(graph: Map<string, Map<string, string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (state.get(next) === 'visiting') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('Layering', () => {
  it('finds the source (the scan itself works)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.find((file) => file.path === 'modules/auth/auth.module.ts')?.imports).toContain('modules/users/users.module');
  });

  it('common, config and database import nothing from modules or the app entry files', () => {
    const upward = files
      .filter((file) => LOWER_LAYERS.includes(layerOf(file.path)))
      .flatMap((file) => file.imports.filter((target) => !LOWER_LAYERS.includes(layerOf(target))).map((target) => `${file.path} -> ${target}`));
    expect(upward).toEqual([]);
  });

  it('the modules under src/modules import each other without cycles', () => {
    const graph = moduleGraph();
    const stale = [...CYCLE_ALLOW_LIST].filter((edge) => {
      const [from, to] = edge.split(' -> ');
      return !graph.get(from)?.has(to);
    });
    expect(stale).toEqual([]);
    for (const edge of CYCLE_ALLOW_LIST) {
      const [from, to] = edge.split(' -> ');
      graph.get(from)?.delete(to);
    }
    const cycles = findCycles(graph).map((cycle) =>
      cycle
        .slice(1)
        .map((to, i) => graph.get(cycle[i])!.get(to))
        .join('\n'),
    );
    expect(cycles).toEqual([]);
  });

  it(`no source file is longer than ${MAX_LINES} lines`, () => {
    const long = files.filter((file) => file.lines > MAX_LINES && !SIZE_ALLOW_LIST.has(file.path)).map((file) => `${file.path}: ${file.lines}`);
    expect(long).toEqual([]);
    const stale = [...SIZE_ALLOW_LIST].filter((path) => (files.find((file) => file.path === path)?.lines ?? 0) <= MAX_LINES);
    expect(stale).toEqual([]);
  });
});
