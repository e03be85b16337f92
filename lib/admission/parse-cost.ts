/**
 * An upper estimate of the heap JSON.parse takes for a body, read off its bytes in one pass before it is
 * parsed: memory follows what a body parses into, not its size. 6 MiB of `[{},{},...]` is 2 million
 * objects, 128 MiB of heap on Node 24 (21x its bytes); 6 MiB of one string is 6 MiB.
 *
 * Each token outside strings is charged what V8 was measured to take for it at its worst (Node 24,
 * test/parse-cost.test.ts checks every shape stays under its estimate): an object 64 bytes, an array 40,
 * an object member 80 (a large object's members go to a dictionary), a list or member separator 16, a
 * string 24 plus its bytes. The raw bytes count once more for the text the body is decoded into.
 */
export function parseCost(body: Buffer | string): number {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  // A small body is charged its worst ratio unread: scanning it would cost more than it could save.
  if (size <= SCAN_FROM_BYTES) return WORST_RATIO * size;
  return typeof body === 'string'
    ? scan(body, size, (i) => body.charCodeAt(i))
    : scan(body, size, (i) => body[i]);
}

/** The most any body is charged per byte: `{"":{}}`, 246 for 7 bytes. */
export const WORST_RATIO = 36;
const SCAN_FROM_BYTES = 64 * 1024;

/** Counts the tokens of `text` (bytes or UTF-16 units: every token is ASCII) outside its strings. */
function scan(text: { length: number }, size: number, at: (i: number) => number | undefined): number {
  let objects = 0;
  let arrays = 0;
  let members = 0;
  let commas = 0;
  let strings = 0;
  for (let i = 0; i < text.length; i++) {
    const b = at(i);
    if (b === QUOTE) {
      strings++;
      // Skip the string: to the next quote not escaped by an odd run of backslashes.
      for (i++; i < text.length; i++) {
        const c = at(i);
        if (c === BACKSLASH) i++;
        else if (c === QUOTE) break;
      }
    } else if (b === OPEN_BRACE) objects++;
    else if (b === OPEN_BRACKET) arrays++;
    else if (b === COLON) members++;
    else if (b === COMMA) commas++;
  }
  return 2 * size + 64 * objects + 40 * arrays + 80 * members + 16 * commas + 24 * strings;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const COLON = 0x3a;
const COMMA = 0x2c;
