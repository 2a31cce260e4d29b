/**
 * Whether JSON text nests objects and arrays deeper than `maxDepth`, found by one pass over the
 * text without recursion (a deep document must not overflow the stack of its checker).
 */
export function nestsDeeperThan(json: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < json.length; i += 1) {
    const character = json.charCodeAt(i);
    if (inString) {
      if (character === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (character === 0x22) inString = false;
    } else if (character === 0x22) {
      inString = true;
    } else if (character === 0x7b || character === 0x5b) {
      depth += 1;
      if (depth > maxDepth) return true;
    } else if (character === 0x7d || character === 0x5d) {
      depth -= 1;
    }
  }
  return false;
}
