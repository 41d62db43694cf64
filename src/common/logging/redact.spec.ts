import { redactUrl } from './redact';

describe(redactUrl.name, () => {
  it('hides the values of secret-bearing query parameters', () => {
    expect(redactUrl('/socket.io/?EIO=4&token=eyJabc&transport=websocket')).toBe(
      '/socket.io/?EIO=4&token=[REDACTED]&transport=websocket',
    );
    expect(redactUrl('/api/v1/auth/azure/callback?code=abc&state=xyz')).toBe(
      '/api/v1/auth/azure/callback?code=[REDACTED]&state=[REDACTED]',
    );
  });

  it('leaves other URLs alone', () => {
    expect(redactUrl('/api/v1/chat/conversations?q=hello&limit=5')).toBe('/api/v1/chat/conversations?q=hello&limit=5');
    expect(redactUrl('/api/live')).toBe('/api/live');
  });

  it('leaves malformed percent-encoding alone instead of throwing', () => {
    expect(redactUrl('/api/v1/models?%=1&%zz=2&token=%E0')).toBe('/api/v1/models?%=1&%zz=2&token=[REDACTED]');
  });
});
