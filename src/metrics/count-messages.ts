import type { Counter } from 'prom-client';
import { agentLabel } from './metric-names';

/** Counts stored messages by role and bounded agent label. */
export function countAppended(
  counter: Counter<'role' | 'agent'>,
  messages: ReadonlyArray<{ role: string; agent_used: string | null }>,
): void {
  for (const { role, agent_used: agent } of messages)
    counter.inc({ role, agent: agentLabel(agent) });
}
