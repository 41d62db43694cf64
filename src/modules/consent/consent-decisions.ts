import { AppException } from '../../common/errors/app.exception';
import type { ArgumentsValidator } from './consent-hooks';
import type { ConsentDecision, ConsentRequest, ConsentStatus } from './consent-request.entity';
import type { DecideConsentDto } from './dto/consent.dto';

/**
 * One decision per action, in action order, from the request body. Edited arguments are
 * checked against the tool's schema here, before anything is stored (422 naming the fields).
 */
export function toDecisions(request: ConsentRequest, dto: DecideConsentDto, validate?: ArgumentsValidator): ConsentDecision[] {
  if (!dto.decisions && dto.edited_arguments && request.actions.length > 1) {
    throw AppException.validation({ edited_arguments: ['this request has several actions: send decisions[], one per action'] });
  }
  // One decision without decisions[] applies to every action of the request.
  const perAction = dto.decisions ?? request.actions.map(() => ({ approved: dto.approved!, edited_arguments: dto.edited_arguments, reason: dto.reason }));
  if (perAction.length !== request.actions.length) {
    throw AppException.validation({ decisions: [`expected ${request.actions.length} decisions, one per action`] });
  }
  const errors: Record<string, string[]> = {};
  const decisions = request.actions.map((action, index): ConsentDecision => {
    const decision = perAction[index];
    if (!decision.approved) return { type: 'reject', tool: action.tool, reason: decision.reason };
    if (!decision.edited_arguments) return { type: 'approve', tool: action.tool, arguments: action.arguments, reason: decision.reason };
    const field = dto.decisions ? `decisions.${index}.edited_arguments` : 'edited_arguments';
    if (!action.allowed_decisions.includes('edit')) {
      errors[field] = [`${action.tool} cannot be edited, only approved or rejected`];
    } else {
      for (const [path, messages] of Object.entries(validate?.(action.tool, decision.edited_arguments) ?? {})) {
        errors[path ? `${field}.${path}` : field] = messages;
      }
    }
    return { type: 'edit', tool: action.tool, arguments: decision.edited_arguments, reason: decision.reason };
  });
  if (Object.keys(errors).length) throw AppException.validation(errors, 'The edited arguments do not fit the tool');
  return decisions;
}

export function statusOf(decisions: ConsentDecision[]): ConsentStatus {
  const approved = decisions.filter((decision) => decision.type !== 'reject').length;
  return approved === 0 ? 'rejected' : approved === decisions.length ? 'approved' : 'partial';
}

/**
 * Which approved calls will run. LangChain's humanInTheLoopMiddleware (langchain 1.5,
 * agents/middleware/hitl.js): when any decision of a batch is a rejection, it drops every
 * approved call of the batch and returns the turn to the model with the rejection; only an
 * all-approved batch runs its calls. So a partial batch runs nothing, and says so.
 */
export function willRun(decisions: ConsentDecision[]): boolean[] {
  const anyRejected = decisions.some((decision) => decision.type === 'reject');
  return decisions.map((decision) => decision.type !== 'reject' && !anyRejected);
}
