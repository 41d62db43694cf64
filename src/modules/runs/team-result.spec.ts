import { teamResult } from './run-orchestrator';

describe(teamResult.name, () => {
  it('summarises with the last answer and collects the list items every member wrote', () => {
    const sut = teamResult([
      { agent: 'researcher', output: 'Notes:\n- alpha grows\n* beta shrinks' },
      { agent: 'writer', output: 'FINAL ANSWER: Alpha leads.\n\nMore detail here.\n1. alpha grows\n2. cost matters' },
    ]);
    expect(sut).toEqual({ summary: 'Alpha leads.', key_findings: ['alpha grows', 'beta shrinks', 'cost matters'], deliverables: [] });
  });

  it('falls back to one finding per member when nobody wrote a list', () => {
    const sut = teamResult([
      { agent: 'a', output: 'First line\nsecond line' },
      { agent: 'b', output: 'Done.' },
    ]);
    expect(sut).toEqual({ summary: 'Done.', key_findings: ['a: First line', 'b: Done.'], deliverables: [] });
  });

  it('gives an empty summary for a run without turns', () => {
    expect(teamResult([])).toEqual({ summary: '', key_findings: [], deliverables: [] });
  });
});
