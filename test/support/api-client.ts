import type TestAgent from 'supertest/lib/agent';
import { agentToken, signToken } from './tokens';

/** Tokens for a few users, and shortcuts for the calls most tests make. */
export class ApiClient {
  private constructor(
    readonly http: TestAgent,
    private readonly tokens: Map<number, { user: string; agent: string }>,
  ) {}

  static async forUsers(http: TestAgent, userIds: number[]): Promise<ApiClient> {
    const tokens = new Map<number, { user: string; agent: string }>();
    for (const id of userIds)
      tokens.set(id, { user: await signToken(id), agent: await agentToken(id) });
    return new ApiClient(http, tokens);
  }

  /** `Authorization` header of an end user's token (or the agent service's, acting for the user). */
  auth(userId: number, as: 'user' | 'agent' = 'user'): { Authorization: string } {
    const token = this.tokens.get(userId)?.[as];
    if (!token) throw new Error(`no token for user ${userId}`);
    return { Authorization: `Bearer ${token}` };
  }

  async createConversation(
    userId: number,
    body: Record<string, unknown> = {},
  ): Promise<Record<string, any>> {
    const response = await this.http
      .post('/api/v1/conversations')
      .set(this.auth(userId))
      .send(body);
    if (response.status !== 201)
      throw new Error(`create answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async append(
    userId: number,
    conversationId: string,
    body: Record<string, unknown>,
  ): Promise<Record<string, any>> {
    const response = await this.http
      .post(`/api/v1/conversations/${conversationId}/messages`)
      .set(this.auth(userId, 'agent'))
      .send(body);
    if (response.status !== 201)
      throw new Error(`append answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body;
  }
}
