import { PaginationQueryDto } from '../../../common/http/pagination.dto';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsOptional, IsString, IsUUID, Length, Max, MaxLength, Min } from 'class-validator';
import { ConsentRequestDto } from '../../consent/dto/consent.dto';
import { Conversation } from '../conversation.entity';
import type { ConversationSummary } from '../conversations.repository';
import { Message, MessageStatus } from '../message.entity';
import type { StoredToolCall, StoredToolResult, TokenUsage } from '../../agent/agent.types';

export class SendMessageDto {
  @IsString()
  @Length(1, 32_000)
  message: string;

  /** Continue this conversation; omit to start a new one. */
  @IsOptional()
  @IsUUID()
  conversation_id?: string;

  /** Answer with Server-Sent Events (also chosen by `Accept: text/event-stream`). */
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  /** `provider:model`; default: the conversation's model, else the server's default. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  /** Ids of files uploaded to this conversation (POST /chat/conversations/:id/files). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsUUID('all', { each: true })
  attachments?: string[];
}

export class CreateConversationDto {
  @IsOptional()
  @IsString()
  @Length(1, 200)
  title?: string;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;
}

export class UpdateConversationDto extends CreateConversationDto {}

export class ListConversationsQueryDto extends PaginationQueryDto {
  /** Matches titles and message text. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class HistoryQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 50;

  /** A message id: return the page of messages older than it. */
  @IsOptional()
  @IsUUID()
  before?: string;
}

export class MessageDto {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant';
  content: string;
  status: MessageStatus;
  tool_calls: StoredToolCall[];
  results: StoredToolResult[];
  usage: TokenUsage | null;
  model: string | null;
  error: { code: string; message: string } | null;
  created_at: string;
}

export function mapMessage(message: Message): MessageDto {
  return {
    id: message.id,
    conversation_id: message.conversationId,
    role: message.role,
    content: message.content,
    status: message.status,
    tool_calls: message.toolCalls,
    results: message.results,
    usage: message.usage,
    model: message.model,
    error: message.error,
    created_at: message.createdAt.toISOString(),
  };
}

export class ConversationDto {
  id: string;
  title: string;
  model: string | null;
  /** True while a reply is being generated. */
  replying: boolean;
  created_at: string;
  updated_at: string;
  message_count?: number;
  last_message_preview?: string | null;
  messages?: MessageDto[];
}

export function mapConversation(conversation: Conversation, extra: Partial<ConversationDto> = {}): ConversationDto {
  return {
    id: conversation.id,
    title: conversation.title,
    model: conversation.model,
    replying: conversation.activeReplyId !== null,
    created_at: conversation.createdAt.toISOString(),
    updated_at: conversation.updatedAt.toISOString(),
    ...extra,
  };
}

/** A row of GET /chat/conversations (the repository reads only these columns). */
export function mapConversationSummary(row: ConversationSummary): ConversationDto {
  return {
    id: row.id,
    title: row.title,
    model: row.model,
    replying: row.replying,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
    message_count: row.messageCount,
    last_message_preview: row.lastMessagePreview,
  };
}

/** The non-streaming answer of POST /chat/message (seed 000's shape, plus status and usage). */
export class ChatReplyDto {
  conversation_id: string;
  message_id: string;
  content: string;
  timestamp: string;
  tool_calls: StoredToolCall[];
  results: StoredToolResult[];
  /** The pending consent request (as GET /consents/:id answers it) when the reply waits for a decision, else null. */
  requires_consent: ConsentRequestDto | null;
  status: MessageStatus;
  model: string | null;
  usage: TokenUsage | null;
}

/** POST /chat/conversations/:id/cancel. */
export class CancelReplyDto {
  conversation_id: string;
  /** False when no reply was being generated. */
  cancelled: boolean;
}
