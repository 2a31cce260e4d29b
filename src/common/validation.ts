import { Transform } from 'class-transformer';
import {
  registerDecorator,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';

/**
 * Query strings arrive as text: only plain digits become numbers, anything else stays a string so
 * that `@IsInt()` rejects it with the field's name (never a silent clamp or NaN).
 */
export function ToInteger(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d{1,15}$/.test(value) ? Number(value) : value,
  );
}

/**
 * A query-string boolean: only `true` and `false` become booleans, anything else stays a string
 * so that `@IsBoolean()` rejects it with the field's name.
 */
export function ToBoolean(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    value === 'true' ? true : value === 'false' ? false : value,
  );
}

// PostgreSQL cannot store NUL in text or jsonb, and lone surrogates are not valid UTF-8.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function hasUnstorableCharacters(text: string): boolean {
  return UNSTORABLE.test(text);
}

/**
 * Length as JavaScript counts it (`string.length`), unlike validator.js, plus storable text. The
 * minimum may depend on the rest of the object (a streaming message's content may be empty).
 */
export function IsText(
  min: number | ((object: object) => number),
  max: number,
  options?: ValidationOptions,
): PropertyDecorator {
  return register('isText', options, (value, object) =>
    textProblem(value, typeof min === 'function' ? min(object) : min, max),
  );
}

function textProblem(value: unknown, min: number, max: number): string | null {
  if (typeof value !== 'string') return `$property must be a string`;
  if (value.length < min || value.length > max) {
    return `$property must be ${min} to ${max} characters long`;
  }
  if (hasUnstorableCharacters(value)) {
    return '$property must not contain NUL characters or unpaired surrogates';
  }
  return null;
}

/** An array of at most `maxItems` strings, each as `IsText` would accept it. */
export function IsTextArray(
  maxItems: number,
  min: number,
  max: number,
  options?: ValidationOptions,
): PropertyDecorator {
  return register('isTextArray', options, (value) => {
    if (!Array.isArray(value)) return '$property must be an array';
    if (value.length > maxItems) return `$property must contain at most ${maxItems} items`;
    for (const [index, item] of value.entries()) {
      const problem = textProblem(item, min, max);
      if (problem) return problem.replace('$property', `$property.${index}`);
    }
    return null;
  });
}

/** A JSON object (not an array or null) whose serialized size stays under `maxBytes`. */
export function IsJsonObject(maxBytes: number, options?: ValidationOptions): PropertyDecorator {
  return register('isJsonObject', options, (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return '$property must be a JSON object';
    }
    return jsonProblem(value, maxBytes);
  });
}

/** A JSON array of objects, each under `maxItemBytes`, at most `maxItems` long. */
export function IsJsonObjectArray(
  maxItems: number,
  maxItemBytes: number,
  options?: ValidationOptions,
): PropertyDecorator {
  return register('isJsonObjectArray', options, (value) => {
    if (!Array.isArray(value)) return '$property must be an array';
    if (value.length > maxItems) return `$property must contain at most ${maxItems} items`;
    for (const [index, item] of value.entries()) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        return `$property.${index} must be a JSON object`;
      }
      const problem = jsonProblem(item, maxItemBytes);
      if (problem) return problem.replace('$property', `$property.${index}`);
    }
    return null;
  });
}

function jsonProblem(value: object, maxBytes: number): string | null {
  const json = JSON.stringify(value);
  if (Buffer.byteLength(json, 'utf8') > maxBytes) {
    return `$property must be at most ${maxBytes} bytes of JSON`;
  }
  // JSON.stringify escapes NUL and lone surrogates; jsonb refuses both escapes.
  if (/\\u0000|\\ud[89a-f][0-9a-f]{2}/i.test(json)) {
    return '$property must not contain NUL characters or unpaired surrogates';
  }
  return null;
}

type Check = (value: unknown, object: object) => string | null;

/** A validator from a function that answers the problem (with `$property`) or null. */
export function Checked(
  name: string,
  check: Check,
  options?: ValidationOptions,
): PropertyDecorator {
  return register(name, options, check);
}

function register(
  name: string,
  options: ValidationOptions | undefined,
  check: Check,
): PropertyDecorator {
  return (target: object, propertyName: string | symbol): void => {
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          return check(value, args.object) === null;
        },
        defaultMessage(args: ValidationArguments): string {
          return (check(args.value, args.object) ?? '').replaceAll('$property', args.property);
        },
      },
    });
  };
}
