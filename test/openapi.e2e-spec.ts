import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestApp, type TestApp } from './support/test-app';

const run = promisify(execFile);
const ARTIFACTS = join(__dirname, 'artifacts');
// Chromium on this machine's closed network: no background connections, no sandbox as root.
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--virtual-time-budget=10000',
  '--window-size=1280,2400',
];

async function chromium(args: string[]): Promise<string> {
  const profile = await mkdtemp(join(tmpdir(), 'chromium-'));
  try {
    const { stdout } = await run(
      'chromium',
      [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args],
      { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
    );
    return stdout;
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}

describe('OpenAPI', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = await t.app.getUrl();
  });

  afterAll(async () => {
    await t.close();
  });

  it('documents every route with its body, answers and errors at /docs-json', async () => {
    const response = await t.http.get('/docs-json');
    expect(response.status).toBe(200);
    const { paths, components } = response.body;
    const operations = Object.entries(paths as Record<string, Record<string, any>>).flatMap(
      ([path, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({
          name: `${method.toUpperCase()} ${path}`,
          operation,
        })),
    );
    expect(operations.map((o) => o.name).sort()).toEqual(
      [
        'GET /health',
        'GET /health/database',
        'GET /health/live',
        'GET /health/ready',
        'GET /metrics',
        'POST /api/v1/conversations',
        'GET /api/v1/conversations',
        'GET /api/v1/conversations/{id}',
        'PATCH /api/v1/conversations/{id}',
        'PUT /api/v1/conversations/{id}',
        'POST /api/v1/conversations/search',
        'DELETE /api/v1/conversations/{id}',
        'GET /api/v1/conversations/{id}/stats',
        'GET /api/v1/conversations/{id}/export',
        'GET /api/v1/conversations/{id}/messages',
        'POST /api/v1/conversations/{id}/messages',
        'PUT /api/v1/conversations/{id}/head',
        'PUT /api/v1/conversations/{id}/messages/{message_id}/feedback',
        'DELETE /api/v1/conversations/{id}/messages/{message_id}/feedback',
        'GET /api/v1/agents/stats',
        'POST /api/v1/conversations/{id}/restore',
        'POST /api/v1/conversations/bulk',
        'GET /api/v1/tags',
        'GET /api/v1/me/export',
        'POST /api/v1/me/erasure',
        'PATCH /api/v1/conversations/{id}/messages/{message_id}',
        'GET /api/v1/conversations/{id}/events',
        'POST /api/v1/conversations/{id}/events/ticket',
      ].sort(),
    );
    for (const { name, operation } of operations.filter((o) => o.name.includes('/api/v1'))) {
      expect([
        name,
        Object.keys(operation.responses).some((status) => status.startsWith('2')),
      ]).toEqual([name, true]);
      expect([name, operation.responses['401']?.description]).toEqual([name, expect.any(String)]);
      expect([name, operation.summary]).toEqual([name, expect.any(String)]);
    }
    expect(Object.keys(components.schemas)).toEqual(
      expect.arrayContaining([
        'CreateConversationDto',
        'UpdateConversationDto',
        'AppendMessagesDto',
        'CreateMessageDto',
        'MessageResponse',
        'ConversationResponse',
        'ConversationListResponse',
        'MessagePageResponse',
        'MessageUsageDto',
        'PutFeedbackDto',
        'FeedbackResponse',
        'AgentStatsResponse',
        'BulkActionDto',
        'BulkResponse',
        'TagListResponse',
        'ErasureRequestDto',
        'ErasureReceiptResponse',
        'UpdateMessageDto',
        'StreamTicketResponse',
      ]),
    );
    // The lifecycle's fields, in full answers and summaries, and the list's filters.
    expect(Object.keys(components.schemas.ConversationSummaryResponse.properties)).toEqual(
      expect.arrayContaining(['is_archived', 'is_pinned', 'tags', 'deleted_at']),
    );
    const listParameters = paths['/api/v1/conversations'].get.parameters.map(
      (parameter: { name: string }) => parameter.name,
    );
    expect(listParameters).toEqual(
      expect.arrayContaining(['archived', 'pinned', 'tag', 'trashed']),
    );
    expect(
      paths['/api/v1/conversations/{id}'].delete.parameters.map((p: { name: string }) => p.name),
    ).toContain('permanent');
    expect(
      paths['/api/v1/conversations/bulk'].post.parameters.map((p: { name: string }) => p.name),
    ).toContain('Idempotency-Key');
    expect(paths['/api/v1/me/export'].get.description).toContain('keyset');
    expect(components.schemas.CreateMessageDto.properties.content.maxLength).toBe(32000);
    expect(Object.keys(components.schemas.MessageResponse.properties)).toEqual(
      expect.arrayContaining(['usage', 'feedback']),
    );
    expect(components.schemas.PutFeedbackDto.properties.comment.maxLength).toBe(2000);
    expect(components.schemas.MessageUsageDto.properties.model.maxLength).toBe(100);
    const feedbackPut = paths['/api/v1/conversations/{id}/messages/{message_id}/feedback'].put;
    expect(feedbackPut.description).toContain('messages:write:assistant');
    expect(paths['/api/v1/agents/stats'].get.description).toContain('stats:read');
  });

  it('renders the operations in Swagger UI at /docs (headless Chromium), with a screenshot', async () => {
    const dom = await chromium(['--dump-dom', `${baseUrl}/docs`]);
    const rendered = dom.match(/class="opblock opblock-/g) ?? [];
    expect(rendered.length).toBeGreaterThanOrEqual(24);
    expect(dom).toContain('/api/v1/conversations/{id}/messages');
    await mkdir(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, 'swagger-ui.png');
    await chromium([`--screenshot=${screenshot}`, `${baseUrl}/docs`]);
    expect((await stat(screenshot)).size).toBeGreaterThan(10_000);
  }, 120_000);
});
