import { Injectable, type PipeTransform } from '@nestjs/common';
import { isStorableId } from '../common/ids';
import { conversationNotFound } from './conversations.service';

/** An id that cannot be stored answers exactly like an unknown one: 404, without a round trip. */
@Injectable()
export class ConversationIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isStorableId(value)) throw conversationNotFound();
    return value;
  }
}
