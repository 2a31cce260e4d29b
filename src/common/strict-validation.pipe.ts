import { BadRequestException, ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';

const REPORTED_UNKNOWN = 10;
const NAME_SHOWN = 64;

/**
 * The global ValidationPipe, refusing unknown top-level fields of a body or query before
 * class-transformer builds anything from it: a body made of thousands of unknown keys costs one
 * pass over its keys, not a transformation. The answer is the one `forbidNonWhitelisted` gives.
 */
export class StrictValidationPipe extends ValidationPipe {
  private readonly known = new WeakMap<object, ReadonlySet<string>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const { metatype, type } = metadata;
    if ((type === 'body' || type === 'query') && metatype && isPlainObject(value)) {
      const known = this.knownFields(metatype);
      const unknown = Object.keys(value).filter((field) => !known.has(field));
      if (unknown.length > 0) {
        throw new BadRequestException(
          unknown
            .slice(0, REPORTED_UNKNOWN)
            .map((field) => `property ${field.slice(0, NAME_SHOWN)} should not exist`),
        );
      }
    }
    return super.transform(value, metadata);
  }

  private knownFields(metatype: object): ReadonlySet<string> {
    let fields = this.known.get(metatype);
    if (!fields) {
      fields = new Set(
        getMetadataStorage()
          .getTargetValidationMetadatas(metatype as new () => object, '', true, false)
          .map((validation) => validation.propertyName),
      );
      this.known.set(metatype, fields);
    }
    return fields;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
