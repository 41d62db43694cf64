import { MigrationInterface, QueryRunner } from 'typeorm';

const RESEARCH_TEAM_ID = '00000000-0000-4000-8000-000000000001';
const GENERAL_TEAM_ID = '00000000-0000-4000-8000-000000000002';

const RESEARCH_AGENTS = [
  {
    name: 'researcher',
    role: 'researcher',
    model: null,
    system_prompt: 'You are a research specialist. Gather the facts the task needs and list them with their sources.',
    capabilities: ['web_search', 'paper_analysis', 'data_extraction'],
    tools: ['current_time', 'calculator'],
  },
  {
    name: 'analyst',
    role: 'analyst',
    model: null,
    system_prompt: 'You are an analyst. Find the patterns and insights in the research so far and say what they mean.',
    capabilities: ['data_analysis', 'pattern_recognition', 'insights'],
    tools: ['calculator'],
  },
  {
    name: 'summarizer',
    role: 'summarizer',
    model: null,
    system_prompt: 'You are a summarizer. Write the final report: a short summary, then the key findings as a list.',
    capabilities: ['text_summarization', 'report_generation'],
    tools: [],
  },
];

const GENERAL_AGENTS = [
  {
    name: 'assistant',
    role: 'assistant',
    model: null,
    system_prompt: 'You are a helpful assistant. Complete the task and answer with the result.',
    capabilities: ['general'],
    tools: ['current_time', 'calculator', 'submit_document'],
  },
];

export class CreateSessionsTeamsRuns1764000002000 implements MigrationInterface {
  name = 'CreateSessionsTeamsRuns1764000002000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name varchar(200) NOT NULL,
        description text,
        status varchar(16) NOT NULL DEFAULT 'active',
        metadata jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT sessions_status_check CHECK (status IN ('active', 'completed', 'error'))
      )`);
    await queryRunner.query(`CREATE INDEX sessions_user_id_idx ON sessions (user_id, created_at DESC)`);

    // user_id NULL = built-in (read-only, visible to everyone).
    await queryRunner.query(`
      CREATE TABLE teams (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid REFERENCES users(id) ON DELETE CASCADE,
        slug varchar(100) NOT NULL,
        name varchar(200) NOT NULL,
        description text,
        agents jsonb NOT NULL,
        orchestration jsonb NOT NULL,
        default_config jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX teams_builtin_slug_idx ON teams (slug) WHERE user_id IS NULL`);
    await queryRunner.query(`CREATE UNIQUE INDEX teams_user_slug_idx ON teams (user_id, slug) WHERE user_id IS NOT NULL`);

    // The team is snapshotted into the run, so editing or deleting a team never changes a run.
    // progress/state/usage are rewritten as the run goes; event_seq numbers its run_events.
    await queryRunner.query(`
      CREATE TABLE runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        team_id uuid REFERENCES teams(id) ON DELETE SET NULL,
        team jsonb NOT NULL,
        task text NOT NULL,
        status varchar(20) NOT NULL DEFAULT 'queued',
        progress jsonb NOT NULL,
        state jsonb NOT NULL DEFAULT '{}',
        team_result jsonb,
        usage jsonb NOT NULL DEFAULT '{"input_tokens":0,"output_tokens":0,"total_tokens":0}',
        model_used varchar(200),
        error jsonb,
        metadata jsonb NOT NULL DEFAULT '{}',
        attempts integer NOT NULL DEFAULT 0,
        event_seq integer NOT NULL DEFAULT 0,
        job_id uuid,
        heartbeat_at timestamptz,
        started_at timestamptz,
        completed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT runs_status_check CHECK (status IN ('queued', 'running', 'awaiting_consent', 'completed', 'failed', 'cancelled', 'timed_out'))
      )`);
    await queryRunner.query(`CREATE INDEX runs_user_id_idx ON runs (user_id, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX runs_session_id_idx ON runs (session_id, created_at DESC)`);
    await queryRunner.query(`CREATE INDEX runs_active_idx ON runs (session_id) WHERE status IN ('running', 'awaiting_consent')`);

    await queryRunner.query(`
      CREATE TABLE run_messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        run_id uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        user_id uuid NOT NULL,
        agent varchar(100) NOT NULL,
        type varchar(16) NOT NULL,
        content text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await queryRunner.query(`CREATE INDEX run_messages_run_idx ON run_messages (run_id, created_at, id)`);
    await queryRunner.query(`CREATE INDEX run_messages_user_id_idx ON run_messages (user_id)`);

    // Every event a run emitted, so SSE and sockets on any instance replay from Last-Event-ID.
    await queryRunner.query(`
      CREATE TABLE run_events (
        run_id uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq integer NOT NULL,
        type varchar(32) NOT NULL,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, seq)
      )`);

    const insert = `INSERT INTO teams (id, user_id, slug, name, description, agents, orchestration, default_config) VALUES ($1, NULL, $2, $3, $4, $5, $6, $7)`;
    await queryRunner.query(insert, [
      RESEARCH_TEAM_ID,
      'research-team',
      'Research Team',
      'Specialized team for research tasks',
      JSON.stringify(RESEARCH_AGENTS),
      JSON.stringify({ type: 'sequential', max_iterations: 5, timeout_minutes: 30 }),
      JSON.stringify({ max_iterations: 5, collaboration_mode: 'sequential' }),
    ]);
    await queryRunner.query(insert, [
      GENERAL_TEAM_ID,
      'general',
      'General',
      'One assistant with the safe tools (and submit_document, which asks for consent)',
      JSON.stringify(GENERAL_AGENTS),
      JSON.stringify({ type: 'sequential', max_iterations: 5, timeout_minutes: 30 }),
      JSON.stringify({ max_iterations: 5, collaboration_mode: 'sequential' }),
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE run_events`);
    await queryRunner.query(`DROP TABLE run_messages`);
    await queryRunner.query(`DROP TABLE runs`);
    await queryRunner.query(`DROP TABLE teams`);
    await queryRunner.query(`DROP TABLE sessions`);
  }
}
