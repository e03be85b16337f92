/**
 * An upper estimate of the memory a body takes once parsed, read off its bytes in one pass before it is
 * parsed: memory follows what a body parses into, not its size. 6 MiB of `[{},{},...]` is 2 million
 * objects, 128 MiB of heap on Node 24 (21x its bytes); 6 MiB of one string is 6 MiB.
 *
 * Each token outside strings is charged what V8 was measured to take for it at its worst (Node 24,
 * test/admission/parse-cost.test.ts checks every shape stays under its estimate): an object 64 bytes,
 * an array 40, an object member 80 (objects of unique keys each get their own hidden class; a large
 * object's members go to a dictionary), a list or member separator 16, a string 24. The body's size counts three times
 * (its bytes, kept until it is answered; the text they decode into; the strings parsed from it), five
 * when a character may need two bytes in V8 (beyond Latin-1), as the text and its strings then do.
 */
export function parseCost(body: Buffer | string): number {
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const t = typeof body === 'string' ? scanText(body) : scanBytes(body);
  return (
    (t.wide ? 5 : 3) * size + 64 * t.objects + 40 * t.arrays + 80 * t.members + 16 * t.commas + 24 * t.strings
  );
}

/**
 * More than parseCost gives per byte of any body (nested `{"":{"":...}}` comes to 36.6: an object, a
 * member and a string per 5 bytes). `WORST_RATIO * size` bounds a body's cost without reading it, which
 * is all a typical review needs: a scan costs a third of its JSON.parse.
 */
export const WORST_RATIO = 41;

interface Tokens {
  objects: number;
  arrays: number;
  members: number;
  commas: number;
  strings: number;
  wide: boolean;
}

// Two copies of one loop, over bytes and over UTF-16 units (every token is ASCII): indexing a Buffer or
// a string directly, without a function call per character, is what keeps a scan cheap.

function scanBytes(bytes: Buffer): Tokens {
  const t: Tokens = { objects: 0, arrays: 0, members: 0, commas: 0, strings: 0, wide: false };
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const b = bytes[i] as number;
    if (b === QUOTE) {
      t.strings++;
      // To the next quote not escaped by a backslash.
      for (i++; i < n; i++) {
        const c = bytes[i] as number;
        if (c === QUOTE) break;
        if (c === BACKSLASH) i++;
        // A UTF-8 lead byte of C4 or more starts a character beyond Latin-1.
        else if (c >= 0xc4) t.wide = true;
      }
    } else if (b === OPEN_BRACE) t.objects++;
    else if (b === OPEN_BRACKET) t.arrays++;
    else if (b === COLON) t.members++;
    else if (b === COMMA) t.commas++;
  }
  return t;
}

function scanText(text: string): Tokens {
  const t: Tokens = { objects: 0, arrays: 0, members: 0, commas: 0, strings: 0, wide: false };
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const b = text.charCodeAt(i);
    if (b === QUOTE) {
      t.strings++;
      for (i++; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c === QUOTE) break;
        if (c === BACKSLASH) i++;
        else if (c > 0xff) t.wide = true;
      }
    } else if (b === OPEN_BRACE) t.objects++;
    else if (b === OPEN_BRACKET) t.arrays++;
    else if (b === COLON) t.members++;
    else if (b === COMMA) t.commas++;
  }
  return t;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const COLON = 0x3a;
const COMMA = 0x2c;
