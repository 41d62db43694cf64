/** What an agent turn produces, as stored and streamed (chat messages, runs and usage share these). */

export interface StoredToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface StoredToolResult {
  tool_call_id: string;
  name: string;
  content: string;
  status: 'success' | 'error';
}

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}
