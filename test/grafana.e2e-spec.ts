import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { METRICS } from '../src/metrics/metric-names';

describe('deploy/grafana/dashboard.json', () => {
  const dashboard = JSON.parse(
    readFileSync(join(__dirname, '..', 'deploy', 'grafana', 'dashboard.json'), 'utf8'),
  );
  const expressions: string[] = dashboard.panels.flatMap(
    (panel: { targets: Array<{ expr: string }> }) => panel.targets.map((target) => target.expr),
  );

  it('charts request rate, errors, latency, pool, cache hit ratio and messages by agent', () => {
    const titles = dashboard.panels.map((panel: { title: string }) => panel.title).join(' | ');
    for (const topic of [
      'Request rate',
      'Errors',
      'Latency percentiles',
      'pool',
      'Cache hit ratio',
      'Messages appended by agent',
    ]) {
      expect(titles).toContain(topic);
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
