import { ArgumentsHost, Catch, ExceptionFilter, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';

/**
 * Terminus reports a failed check by throwing 503 with its `{status, info, error, details}`
 * body. Health routes answer that body as is (ops tools parse it), not the API error envelope.
 */
@Catch(ServiceUnavailableException)
export class TerminusBodyFilter implements ExceptionFilter {
  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<Response>().status(503).json(exception.getResponse());
  }
}
