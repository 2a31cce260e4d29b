import { WalHistory } from './wal-history';

describe('WalHistory', () => {
  it('dates a replica by the newest primary position it has reached', () => {
    const history = new WalHistory(10_000);
    history.record(1_000, 100n);
    history.record(2_000, 200n);
    history.record(3_000, 300n);
    expect(history.freshAsOf(300n)).toBe(3_000);
    expect(history.freshAsOf(299n)).toBe(2_000);
    expect(history.freshAsOf(100n)).toBe(1_000);
    expect(history.freshAsOf(1_000n)).toBe(3_000);
  });

  it('keeps an idle primary from looking like lag: an unmoved position takes the newest time', () => {
    const history = new WalHistory(10_000);
    history.record(1_000, 500n);
    history.record(9_000, 500n);
    expect(history.freshAsOf(500n)).toBe(9_000);
  });

  it('knows nothing of a replica behind every position it kept: not fresh at all', () => {
    const history = new WalHistory(5_000);
    history.record(1_000, 100n);
    history.record(4_000, 200n);
    history.record(8_000, 300n);
    // 1 000 is past the 5 s kept at 8 000: a replica still at 150 is older than the history.
    expect(history.freshAsOf(150n)).toBeNull();
    expect(history.freshAsOf(250n)).toBe(4_000);
    history.record(10_000, 400n);
    expect(history.freshAsOf(250n)).toBeNull();
  });
});
