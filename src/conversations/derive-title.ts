export const DEFAULT_TITLE = '새 대화';
const MAX_DERIVED_LENGTH = 50;
const ELLIPSIS = '...';

/** The first non-blank line of the first message, trimmed, at most 50 characters with "...". */
export function deriveTitle(firstMessage: string | undefined): string {
  const line = firstMessage
    ?.split(/\r?\n/)
    .map((text) => text.trim())
    .find((text) => text.length > 0);
  if (!line) return DEFAULT_TITLE;
  if (line.length <= MAX_DERIVED_LENGTH) return line;
  let cut = line.slice(0, MAX_DERIVED_LENGTH - ELLIPSIS.length);
  // Never split a surrogate pair: half an emoji is not storable text.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut.trimEnd()}${ELLIPSIS}`;
}
