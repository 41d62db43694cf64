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

export class ConsentDecisionResultDto {
  consent_request_id: string;
  status: ConsentStatus;
  /** Single-use token bound to the approved tool and its final arguments (first approved action). */
  consent_token: string | null;
  message: string;
}

export function mapDecisionResult(decided: DecidedConsent): ConsentDecisionResultDto {
  return {
    consent_request_id: decided.request.id,
    status: decided.request.status,
    consent_token: decided.tokens[0] ?? null,
    // Seed 000's wording for an approval.
    message: decided.request.status === 'rejected' ? 'Consent rejected. The agent continues without the action.' : 'Consent approved. You may proceed with the action.',
  };
}
