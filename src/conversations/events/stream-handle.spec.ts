import type { MessageEvent } from '@nestjs/common';
import type { BusEvent } from '../../events/conversation-event';
import { HEARTBEAT_MS, StreamHandle } from './stream-handle';

const bus = (id: string, previous: string, type: BusEvent['type'] = 'message.delta'): BusEvent => ({
  id,
  previous,
  type,
  data: `{"at":"${id}"}`,
});

function attach(handle: StreamHandle): { written: MessageEvent[]; completed: () => boolean } {
  const written: MessageEvent[] = [];
  let done = false;
  handle.events().subscribe({ next: (e) => written.push(e), complete: () => (done = true) });
  return { written, completed: () => done };
}

describe('StreamHandle', () => {
  const sent: string[] = [];
  let released: number;
  let handle: StreamHandle;

  beforeEach(() => {
    sent.length = 0;
    released = 0;
    handle = new StreamHandle(null, (type) => sent.push(type));
    handle.onRelease(() => (released += 1));
  });

  it('keeps what arrives before the response starts, then writes everything in order with its id', () => {
    handle.deliver(bus('1-0', '0-0'));
    const { written } = attach(handle);
    handle.deliver(bus('2-0', '1-0'));
    expect(written).toEqual([
      { id: '1-0', type: 'message.delta', data: '{"at":"1-0"}' },
      { id: '2-0', type: 'message.delta', data: '{"at":"2-0"}' },
    ]);
    expect(sent).toEqual(['message.delta', 'message.delta']);
  });

  it('skips events the history already gave, and ends with reset past a hole or a reset marker', () => {
    const resumed = new StreamHandle('5-0', () => undefined);
    resumed.replay({ gap: false, events: [bus('6-0', '5-0'), bus('7-0', '6-0')] });
    const { written, completed } = attach(resumed);
    resumed.deliver(bus('7-0', '6-0'));
    resumed.deliver(bus('9-0', '8-0'));
    expect(written.map((e) => [e.type, e.id])).toEqual([
      ['message.delta', '6-0'],
      ['message.delta', '7-0'],
      ['reset', ''],
    ]);
    expect(completed()).toBe(true);

    const marked = new StreamHandle(null, () => undefined);
    const markedOut = attach(marked);
    marked.deliver(bus('1-0', '0-0', 'reset'));
    expect(markedOut.written).toEqual([{ type: 'reset', id: '', data: '{}' }]);
  });

  it('holds live events that arrive while a reconnect reads its history, and writes them after it, once', () => {
    const resumed = new StreamHandle('5-0', () => undefined);
    resumed.awaitReplay();
    resumed.deliver(bus('7-0', '6-0'));
    resumed.deliver(bus('8-0', '7-0'));
    resumed.replay({ gap: false, events: [bus('6-0', '5-0'), bus('7-0', '6-0')] });
    const { written, completed } = attach(resumed);
    expect(written.map((e) => e.id)).toEqual(['6-0', '7-0', '8-0']);
    expect(completed()).toBe(false);
  });

  it('accepts a history that starts over (its first event names no predecessor)', () => {
    const { written } = attach(handle);
    handle.deliver(bus('3-0', '2-0'));
    handle.deliver(bus('4-0', '0-0'));
    expect(written.map((e) => e.id)).toEqual(['3-0', '4-0']);
  });

  it('answers a gap in the history with reset before any live event, and releases at once', () => {
    const resumed = new StreamHandle('5-0', () => undefined);
    let releasedEarly = false;
    resumed.onRelease(() => (releasedEarly = true));
    resumed.replay({ gap: true, events: [] });
    expect(releasedEarly).toBe(true);
    resumed.deliver(bus('6-0', '5-0'));
    const { written, completed } = attach(resumed);
    expect(written).toEqual([{ type: 'reset', id: '', data: '{}' }]);
    expect(completed()).toBe(true);
  });

  it('ends after conversation.deleted, and when closed, without reset', () => {
    const { written, completed } = attach(handle);
    handle.deliver(bus('1-0', '0-0', 'conversation.deleted'));
    expect(written.map((e) => e.type)).toEqual(['conversation.deleted']);
    expect(completed()).toBe(true);
    expect(released).toBe(1);

    const closed = new StreamHandle(null, () => undefined);
    const out = attach(closed);
    closed.end('close');
    expect(out.written).toEqual([]);
    expect(out.completed()).toBe(true);
  });

  it('writes a comment every 15 s while open, and releases once however it ends', () => {
    jest.useFakeTimers();
    try {
      const { written } = attach(handle);
      jest.advanceTimersByTime(HEARTBEAT_MS * 2);
      expect(written).toEqual([{ comment: 'keep-alive' }, { comment: 'keep-alive' }]);
      handle.dispose();
      handle.end('reset');
      jest.advanceTimersByTime(HEARTBEAT_MS * 2);
      expect(written).toHaveLength(2);
      expect(released).toBe(1);
      expect(sent).toEqual([]);
    } finally {
      jest.useRealTimers();
    }
  });
});
