import { routeTemplate } from './api-calls.interceptor';

describe(routeTemplate.name, () => {
  it('counts versioned and unversioned paths as one route template', () => {
    expect(routeTemplate('/api/v1/chat/conversations/:id')).toBe('/chat/conversations/:id');
    expect(routeTemplate('/api/chat/conversations/:id')).toBe('/chat/conversations/:id');
    expect(routeTemplate('/api/v1')).toBe('/');
    expect(routeTemplate('/metrics')).toBe('/metrics');
    expect(routeTemplate('/api/v1/apikeys')).toBe('/apikeys');
    expect(routeTemplate('/apiary')).toBe('/apiary');
  });
});
