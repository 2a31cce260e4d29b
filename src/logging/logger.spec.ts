import { loggedUrl } from './logger';

describe('loggedUrl', () => {
  it("drops the query of an event stream's URL, with or without its trailing slash", () => {
    expect(loggedUrl('/api/v1/conversations/conv_1/events?ticket=7.secret')).toBe(
      '/api/v1/conversations/conv_1/events?[redacted]',
    );
    expect(
      loggedUrl('/api/v1/conversations/conv_1/events/?ticket=7.secret&last_event_id=1-0'),
    ).toBe('/api/v1/conversations/conv_1/events/?[redacted]');
  });

  it('keeps every other URL as it is, the stream without a query too', () => {
    for (const url of [
      '/api/v1/conversations/conv_1/events',
      '/api/v1/conversations/conv_1/events/ticket',
      '/api/v1/conversations?limit=20&offset=0',
      '/api/v1/conversations/conv_1/messages?limit=5',
    ]) {
      expect(loggedUrl(url)).toBe(url);
    }
  });
});
