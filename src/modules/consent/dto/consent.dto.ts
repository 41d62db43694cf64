import { PaginationQueryDto } from '../../../common/http/pagination.dto';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsBoolean, IsIn, IsObject, IsOptional, IsString, IsUUID, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { ConsentAction, ConsentDecision, ConsentRequest, ConsentStatus } from '../consent-request.entity';
import type { DecidedConsent } from '../consent.service';

export class ActionDecisionDto {
  @IsBoolean()
  approved: boolean;

  /** Approve with these arguments instead of the proposed ones. */
  @IsOptional()
  @IsObject()
  edited_arguments?: Record<string, unknown>;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;
}

/** One decision for the whole request, or `decisions[]` with one entry per action, in order. */
export class DecideConsentDto {
  @IsUUID()
  consent_request_id: string;

  @ValidateIf((dto: DecideConsentDto) => dto.decisions === undefined)
  @IsBoolean()
  approved?: boolean;

  @IsOptional()
  @IsObject()
  edited_arguments?: Record<string, unknown>;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  reason?: string;

  /** Stream the agent's continuation as Server-Sent Events (also chosen by `Accept: text/event-stream`). */
  @IsOptional()
  @IsBoolean()
  stream?: boolean;

  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => ActionDecisionDto)
  decisions?: ActionDecisionDto[];
}

export class ListConsentsQueryDto extends PaginationQueryDto {
  @IsOptional()
  @IsIn(['pending', 'approved', 'rejected', 'partial', 'expired'])
  status?: ConsentStatus;
}

export class ConsentRequestDto {
  id: string;
  conversation_id: string | null;
  message_id: string | null;
  /** Set when the request pauses a run instead of a chat reply. */
  run_id: string | null;
  status: ConsentStatus;
  actions: ConsentAction[];
  decisions: ConsentDecision[] | null;
  reason: string | null;
  decided_by: string | null;
  decided_at: string | null;
  expires_at: string;
  created_at: string;
}

export function mapConsentRequest(request: ConsentRequest): ConsentRequestDto {
  return {
    id: request.id,
    conversation_id: request.conversationId,
    message_id: request.messageId,
    run_id: request.runId,
    status: request.status,
    actions: request.actions,
    decisions: request.decisions,
    reason: request.reason,
    decided_by: request.decidedBy,
    decided_at: request.decidedAt?.toISOString() ?? null,
    expires_at: request.expiresAt.toISOString(),
    created_at: request.createdAt.toISOString(),
  };
}

/** What the decision means for one action of the request. */
export class ConsentActionOutcomeDto {
  tool: string;
  /** The model's id for the tool call, when the provider gave one. */
  tool_call_id: string | null;
  decision: 'approve' | 'edit' | 'reject';
  /**
   * Whether the call will run. In a batch with any rejection none of the approved calls runs
   * (LangChain returns the turn to the model with the rejection); the model may ask again.
   */
  will_run: boolean;
  /** Single-use token the tool redeems for exactly this call and its final arguments; null when it will not run. */
  consent_token: string | null;
}

export class ConsentDecisionResultDto {
  consent_request_id: string;
  status: ConsentStatus;
  /** Single-use token of the first call that will run (see `actions` for each); null when none will. */
  consent_token: string | null;
  /** Per action, in order: the decision and whether the call will run. */
  actions: ConsentActionOutcomeDto[];
  message: string;
}

export function mapDecisionResult(decided: DecidedConsent): ConsentDecisionResultDto {
  const running = decided.outcomes.filter((outcome) => outcome.will_run).length;
  return {
    consent_request_id: decided.request.id,
    status: decided.request.status,
    consent_token: decided.tokens[0] ?? null,
    actions: decided.outcomes.map((outcome) => ({ ...outcome })),
    message: decisionMessage(decided.request.status, running, decided.outcomes.length),
  };
}

function decisionMessage(status: ConsentStatus, running: number, total: number): string {
  if (status === 'rejected') return 'Consent rejected. The agent continues without the action.';
  if (status === 'partial') return `Partly approved: none of the ${total} actions will run (a batch with a rejection runs none of its calls); the agent continues with the rejection and may ask again.`;
  // Seed 000's wording for an approval.
  return running === 1 ? 'Consent approved. You may proceed with the action.' : `Consent approved. ${running} actions will run.`;
}
