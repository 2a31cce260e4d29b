import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS } from '../src/metrics/metric-names';

describe('deploy/grafana/dashboard.json', () => {
  const dashboard = JSON.parse(
    readFileSync(join(__dirname, '..', 'deploy', 'grafana', 'dashboard.json'), 'utf8'),
  );
  // Row panels group the others and query nothing.
  const expressions: string[] = dashboard.panels.flatMap(
    (panel: { targets?: Array<{ expr: string }> }) =>
      (panel.targets ?? []).map((target) => target.expr),
  );

  it('charts request rate, errors, latency, pool, cache hit ratio, messages by agent, replica lag and pooler use', () => {
    const titles = dashboard.panels.map((panel: { title: string }) => panel.title).join(' | ');
    for (const topic of [
      'Request rate',
      'Errors',
      'Latency percentiles',
      'pool',
      'Cache hit ratio',
      'Messages appended by agent',
      'Read replica lag',
      'Pooler use',
    ]) {
      expect(titles).toContain(topic);
    }
  });

  it('has a row for the agents: feedback ratio, tokens and latency by agent', () => {
    const panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }> =
      dashboard.panels;
    const row = panels.findIndex((panel) => panel.type === 'row' && /agent/i.test(panel.title));
    expect(row).toBeGreaterThanOrEqual(0);
    const inRow = panels.slice(row + 1);
    for (const [title, series] of [
      ['Feedback ratio by agent', METRICS.messageFeedback],
      ['Tokens by agent', METRICS.agentTokens],
      ['Agent latency', METRICS.agentLatency],
    ]) {
      const panel = inRow.find((candidate) => candidate.title.startsWith(title));
      expect([title, panel?.targets?.every((target) => target.expr.includes(series))]).toEqual([
        title,
        true,
      ]);
      expect(panel?.targets?.every((target) => /by \(agent/.test(target.expr))).toBe(true);
    }
  });

  it('queries only series this service exports', () => {
    const exported = Object.values(METRICS);
    for (const expression of expressions) {
      const names =
        expression
          .match(/[a-z_]+(?=\{)/g)
          ?.filter((name) => !['rate', 'sum', 'by', 'histogram_quantile'].includes(name)) ?? [];
      for (const name of names) {
        expect([
          expression,
          exported.some(
            (metric) =>
              name === metric ||
              name.startsWith(`${metric}_`) ||
              name === metric.replace(/_total$/, ''),
          ),
        ]).toEqual([expression, true]);
      }
    }
  });
});
