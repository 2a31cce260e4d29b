import { Injectable, type PipeTransform } from '@nestjs/common';
import { conversationNotFound } from './conversations.service';

// Our ids and the predecessor's (`conv_` + hex) both fit; anything else cannot exist.
const CONVERSATION_ID = /^conv_[0-9A-Za-z_-]{1,45}$/;

/** A malformed id answers exactly like an unknown one: 404, without a database round trip. */
@Injectable()
export class ConversationIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!CONVERSATION_ID.test(value)) throw conversationNotFound();
    return value;
  }
}
