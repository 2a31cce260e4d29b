import type TestAgent from 'supertest/lib/agent';

/** The value of one series in the app's /metrics, 0 when absent. */
export async function metricValue(http: TestAgent, series: string): Promise<number> {
  const response = await http.get('/metrics');
  const line = response.text.split('\n').find((text: string) => text.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
