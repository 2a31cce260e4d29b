export interface JsonShapeLimits {
  /** Objects and arrays nested deeper than this. */
  depth: number;
  /** Members (keys of an object, items of an array) in any one object or array. */
  width: number;
  /** Members in the whole document. */
  members: number;
}

/**
 * What makes JSON text too costly to hand to the validation layer, found by one pass over the
 * text, without recursion and before anything is built from it: nesting deeper than the limit
 * (it would exhaust the validator's stack), or more members in one object or array, or in all,
 * than the limits (class-transformer's cost grows faster than the member count). Null when the
 * text is within every limit. Malformed text is left to the JSON parser.
 */
export function jsonShapeProblem(json: string, limits: JsonShapeLimits): string | null {
  // Commas seen in each open object or array, innermost last: its members so far, less one.
  const commas: number[] = [];
  let members = 0;
  let inString = false;
  let justOpened = false;
  for (let i = 0; i < json.length; i += 1) {
    const character = json.charCodeAt(i);
    if (inString) {
      if (character === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (character === 0x22) inString = false;
      continue;
    }
    if (character <= 0x20) continue;
    if (character === 0x7b || character === 0x5b) {
      if (commas.length === limits.depth) {
        return `body nests objects or arrays deeper than ${limits.depth} levels`;
      }
      commas.push(0);
      justOpened = true;
      continue;
    }
    if (character === 0x7d || character === 0x5d) {
      // A closing bracket right after its opening one closes an empty object or array.
      if (!justOpened) members += 1;
      commas.pop();
    } else if (character === 0x2c && commas.length > 0) {
      members += 1;
      commas[commas.length - 1] += 1;
      if (commas[commas.length - 1] >= limits.width) {
        return `body has an object or array with more than ${limits.width} members`;
      }
    } else if (character === 0x22) {
      inString = true;
    }
    justOpened = false;
    if (members > limits.members) return `body has more than ${limits.members} members in all`;
  }
  return null;
}
