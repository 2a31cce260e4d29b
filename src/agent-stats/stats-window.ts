import { BadRequestException } from '@nestjs/common';
import { LIMITS } from '../common/limits';

/** Whole UTC days, both ends included, as `YYYY-MM-DD`. */
export interface StatsWindow {
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;

/** The UTC day of a time, as the rollup keys it. */
export function utcDay(time: Date): string {
  return time.toISOString().slice(0, 10);
}

/**
 * The window a query asks for: `to` defaults to today, `from` to the default window's length
 * before `to`; `from` after `to` or a window longer than the maximum is a 400 naming the field.
 */
export function resolveWindow(query: { from?: string; to?: string }, now: Date): StatsWindow {
  const { default: defaultDays, max: maxDays } = LIMITS.agentStatsDays;
  const to = query.to === undefined ? Date.parse(utcDay(now)) : parseDay(query.to, 'to');
  const from =
    query.from === undefined ? to - (defaultDays - 1) * DAY_MS : parseDay(query.from, 'from');
  if (from > to) throw new BadRequestException('from must not be after to');
  if ((to - from) / DAY_MS + 1 > maxDays) {
    throw new BadRequestException(`from and to span at most ${maxDays} days`);
  }
  return { from: utcDay(new Date(from)), to: utcDay(new Date(to)) };
}

function parseDay(text: string, field: string): number {
  const time = Date.parse(`${text}T00:00:00Z`);
  // Date.parse rolls 2026-02-30 over to March: a real day reads back as itself.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || Number.isNaN(time) || utcDay(new Date(time)) !== text) {
    throw new BadRequestException(`${field} must be a calendar day, YYYY-MM-DD (UTC)`);
  }
  return time;
}
