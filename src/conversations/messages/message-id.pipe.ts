import { Injectable, NotFoundException, type PipeTransform } from '@nestjs/common';
import { isStorableId } from '../../common/ids';

export const messageNotFound = (): NotFoundException => new NotFoundException('message not found');

/** A message id that cannot be stored answers exactly like an unknown one: 404. */
@Injectable()
export class MessageIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isStorableId(value)) throw messageNotFound();
    return value;
  }
}
