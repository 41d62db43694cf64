import { isUnloggedRequest } from './logging.module';

describe(isUnloggedRequest.name, () => {
  it('skips probes and scrapes, with or without a query string', () => {
    for (const url of ['/api/live', '/api/ready', '/metrics', '/api/ready?full=1']) expect(isUnloggedRequest(url)).toBe(true);
  });

  it('logs everything else, the full health report included', () => {
    for (const url of ['/api/health', '/api/v1/chat/message', '/api/readyz', '/metrics/extra', '/']) expect(isUnloggedRequest(url)).toBe(false);
  });
});
