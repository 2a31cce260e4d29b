/**
 * The search terms of a message's content, as SQL: exactly what `searchTerms()` in
 * src/conversations/messages/search-terms.ts computed when this file was written (NFC, lower case,
 * Hangul syllables and in-word syllable pairs, whole Latin/digit words of at most 64 characters,
 * each term once, in order of first occurrence). Migrations that backfill `search_terms` use it, so
 * that changing the application's tokenizer can never change what a migration did. Frozen: a new
 * tokenizer gets a new function in a new file and a migration of its own.
 *
 * A session-local function (pg_temp): it exists only on the connection of the migration that
 * creates it, and never becomes part of the schema.
 */
export const CREATE_SEARCH_TERMS_V1 = `
CREATE OR REPLACE FUNCTION pg_temp.search_terms_v1(content text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
  WITH lowered AS (
    -- NFC, then lower case as JavaScript's toLowerCase() does for every character that can end up
    -- in a term: A-Z, and U+0130, which lowers to i + U+0307 (U+212A is K after NFC).
    SELECT translate(replace(normalize(content, NFC), U&'\\0130', U&'i\\0307'),
                     'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') AS text
  ), tokens AS (
    SELECT match[1] AS token, position
    FROM lowered, regexp_matches(lowered.text, '[가-힣]+|[a-z0-9]+', 'g') WITH ORDINALITY AS m(match, position)
  ), terms AS (
    SELECT token AS term, position, 0 AS rank FROM tokens
    WHERE token !~ '^[가-힣]' AND length(token) <= 64
    UNION ALL
    SELECT substr(token, i, 1), position, 2 * i FROM tokens, generate_series(1, length(token)) AS i
    WHERE token ~ '^[가-힣]'
    UNION ALL
    SELECT substr(token, i, 2), position, 2 * i + 1 FROM tokens, generate_series(1, length(token) - 1) AS i
    WHERE token ~ '^[가-힣]'
  ), firsts AS (
    SELECT DISTINCT ON (term) term, position, rank FROM terms ORDER BY term, position, rank
  )
  SELECT coalesce(array_agg(term ORDER BY position, rank), '{}') FROM firsts
$fn$`;
