import type { Counter, Histogram } from 'prom-client';
import type { AgentStatsRepository } from './agent-stats.repository';
import {
  AgentStatsRecorder,
  type FeedbackChange,
  type Rating,
} from './agent-stats-recorder.service';
import { shardOf } from './answer-rollup';

/** A mock that fails on any method the test did not expect. */
function strict<T extends object>(methods: Partial<Record<keyof T, jest.Mock>>): T {
  return new Proxy(methods, {
    get(target, name) {
      const method = target[name as keyof T];
      if (!method) throw new Error(`unexpected call: ${String(name)}`);
      return method;
    },
  }) as unknown as T;
}

function recorder(): {
  recorder: AgentStatsRecorder;
  addFeedback: jest.Mock;
  addAnswers: jest.Mock;
  feedbackInc: jest.Mock;
  tokensInc: jest.Mock;
  observe: jest.Mock;
} {
  const addFeedback = jest.fn().mockResolvedValue(undefined);
  const addAnswers = jest.fn().mockResolvedValue(undefined);
  const feedbackInc = jest.fn();
  const tokensInc = jest.fn();
  const observe = jest.fn();
  return {
    recorder: new AgentStatsRecorder(
      strict<AgentStatsRepository>({ addFeedback, addAnswers }),
      strict<Counter<'agent' | 'rating'>>({ inc: feedbackInc }),
      strict<Counter<'agent' | 'kind'>>({ inc: tokensInc }),
      strict<Histogram<'agent'>>({ observe }),
    ),
    addFeedback,
    addAnswers,
    feedbackInc,
    tokensInc,
    observe,
  };
}

const change = (previous: Rating | null, next: Rating | null): FeedbackChange => ({
  agent: 'regulation_agent',
  userId: 42,
  timestamp: new Date('2026-12-01T23:59:59Z'),
  previous,
  next,
});

describe('AgentStatsRecorder.recordFeedback', () => {
  it.each([
    ['a new up', null, 'up', { up: 1, down: 0 }, 'up'],
    ['up replaced by down', 'up', 'down', { up: -1, down: 1 }, 'down'],
    ['a removed down', 'down', null, { up: 0, down: -1 }, null],
  ] as const)(
    'moves the rollup and the counter for %s',
    async (_name, previous, next, delta, counted) => {
      const t = recorder();
      await t.recorder.recordFeedback(change(previous, next));
      expect(t.addFeedback).toHaveBeenCalledWith({
        day: '2026-12-01',
        agent: 'regulation_agent',
        shard: shardOf(42),
        ...delta,
      });
      if (counted) {
        expect(t.feedbackInc).toHaveBeenCalledWith({ agent: 'regulation_agent', rating: counted });
      } else {
        expect(t.feedbackInc).not.toHaveBeenCalled();
      }
    },
  );

  it('leaves both alone for the same rating again and for removing nothing', async () => {
    const t = recorder();
    await t.recorder.recordFeedback(change('up', 'up'));
    await t.recorder.recordFeedback(change(null, null));
    expect(t.addFeedback).not.toHaveBeenCalled();
    expect(t.feedbackInc).not.toHaveBeenCalled();
  });

  it('counts a rating of a message naming no agent, or an unknown one, without a rollup row for it', async () => {
    const t = recorder();
    await t.recorder.recordFeedback({ ...change(null, 'down'), agent: null });
    await t.recorder.recordFeedback({ ...change(null, 'up'), agent: 'brand_new_agent' });
    expect(t.feedbackInc.mock.calls).toEqual([
      [{ agent: 'none', rating: 'down' }],
      [{ agent: 'other', rating: 'up' }],
    ]);
    expect(t.addFeedback).toHaveBeenCalledTimes(1);
    expect(t.addFeedback.mock.calls[0][0]).toMatchObject({ agent: 'brand_new_agent', up: 1 });
  });
});

describe('AgentStatsRecorder.recordAnswers', () => {
  it('writes the rollup once and moves tokens and latency by bounded agent label', async () => {
    const t = recorder();
    const timestamp = new Date('2026-12-01T00:00:00Z');
    await t.recorder.recordAnswers('conv_1', [
      { agent: 'regulation_agent', userId: 3, timestamp, promptTokens: 10, latencyMs: 1500 },
      { agent: 'mystery_agent', userId: 3, timestamp, completionTokens: 4 },
    ]);
    expect(t.addAnswers).toHaveBeenCalledTimes(1);
    expect(t.addAnswers.mock.calls[0][0]).toBe('conv_1');
    expect(t.tokensInc.mock.calls).toEqual([
      [{ agent: 'regulation_agent', kind: 'prompt' }, 10],
      [{ agent: 'other', kind: 'completion' }, 4],
    ]);
    expect(t.observe.mock.calls).toEqual([[{ agent: 'regulation_agent' }, 1.5]]);
  });

  it('issues no statement for answers without an agent', async () => {
    const t = recorder();
    await t.recorder.recordAnswers('conv_1', [{ agent: null, userId: 3, timestamp: new Date() }]);
    expect(t.addAnswers).not.toHaveBeenCalled();
  });
});
