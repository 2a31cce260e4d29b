import { Injectable, type PipeTransform } from '@nestjs/common';
import { isStorableId } from '../../common/ids';
import { messageNotFound } from './message-streams.service';

/** A message id that cannot be stored answers exactly like an unknown one: 404. */
@Injectable()
export class MessageIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isStorableId(value)) throw messageNotFound();
    return value;
  }
}
