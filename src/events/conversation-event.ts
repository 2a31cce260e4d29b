/** The events of a conversation's stream (`GET /:id/events`), as api-v1.1.md section 4 names them. */
export const EVENT_TYPES = [
  'message.created',
  'message.delta',
  'message.completed',
  'conversation.updated',
  'conversation.deleted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Not an event of the contract's list but the marker of a break: events of the conversation may
 * have been lost (a write could not publish them), so a stream that meets it tells its client to
 * reload with GET, and a resume across it is refused the same way.
 */
export const RESET = 'reset';
export type BusEventType = EventType | typeof RESET;

/** Whose conversation an event belongs to: every key and channel of the bus names both. */
export interface ConversationRef {
  userId: number;
  conversationId: string;
}

/** An event about to be published: its data already serialized, once for every stream. */
export interface OutgoingEvent {
  type: BusEventType;
  data: string;
}

/** An event as the bus delivers it, with its id in the conversation's history. */
export interface BusEvent extends OutgoingEvent {
  id: string;
  /** The id of the event before it in the history ('0-0' for the first one held). */
  previous: string;
}

/** What a reconnect with `Last-Event-ID` gets back. */
export interface EventsAfter {
  /** Events after the id may be missing (trimmed, or lost): the client must reload. */
  gap: boolean;
  events: BusEvent[];
}
