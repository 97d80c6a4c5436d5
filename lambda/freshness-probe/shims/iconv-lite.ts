/**
 * Stands in for `iconv-lite` (about 480 KB of character tables) in the probe's bundle; the
 * substitution is FRESHNESS_PROBE_SUBSTITUTIONS in lib/constructs/bundle-settings.ts. Tests
 * that run the probe from source still load the real package.
 *
 * mysql2 (lib/parsers/string.js) calls `getDecoder` and `getEncoder`, and only for an encoding
 * that Node's Buffer does not handle itself. The probe's sessions are utf8mb4 (databases.ts), so
 * the server sends every text value as UTF-8 whatever the column's character set. What is left
 * is the handful of strings mysql2 reads in the server's default character set (the session
 * state the server reports after `SET time_zone`): UTF-8, latin1 or, for a server whose default
 * is utf8mb3, `cesu8`, which is UTF-8 for every character utf8mb3 can hold (it has no
 * four-byte ones). Any other encoding decodes ASCII bytes only: every ASCII-compatible character
 * set maps them alike, and the protocol sends only the low 8 bits of the server's collation id,
 * so a server whose default collation is past 255 (utf8mb4_0900_as_cs is 278) shows up as some
 * legacy character set although its session state is plain ASCII. A byte above 0x7f in such an
 * encoding fails with the encoding's name rather than be decoded wrongly.
 */
import { StringDecoder } from 'node:string_decoder';

/** A decoder as mysql2 uses one: `write` the bytes, then `end` for what is left. */
export interface Decoder {
  write(bytes: Buffer): string;
  end(): string;
}

/** An encoder as mysql2 uses one: `write` the text, then `end` for what is left. */
export interface Encoder {
  write(text: string): Buffer;
  end(): Buffer | undefined;
}

function unsupported(direction: 'decode' | 'encode', encoding: string): Error {
  return new Error(
    `freshness probe: cannot ${direction} ${JSON.stringify(encoding)}: its bundle replaces iconv-lite with ` +
      "Node's own encodings (UTF-8, latin1, UTF-16LE, ASCII), CESU-8 decoding and ASCII text in any other (lambda/freshness-probe/shims/iconv-lite.ts)",
  );
}

/** Node's name for `encoding` when Buffer handles it, or for CESU-8 read as UTF-8. */
function decodedAs(encoding: string): BufferEncoding | undefined {
  if (Buffer.isEncoding(encoding)) return encoding;
  return /^cesu-?8$/i.test(encoding) ? 'utf8' : undefined;
}

/** Decodes ASCII bytes and throws, naming `encoding`, on any other. */
function asciiOnly(encoding: string): Decoder {
  return {
    write: (bytes) => {
      if (bytes.some((byte) => byte > 0x7f)) throw unsupported('decode', encoding);
      return bytes.toString('latin1');
    },
    end: () => '',
  };
}

export function getDecoder(encoding: string, _options?: unknown): Decoder {
  const as = decodedAs(encoding);
  if (as === undefined) return asciiOnly(encoding);
  // A StringDecoder keeps a character split across two writes whole.
  const decoder = new StringDecoder(as);
  return {
    write: (bytes) => decoder.write(bytes),
    end: () => decoder.end(),
  };
}

export function getEncoder(encoding: string, _options?: unknown): Encoder {
  // CESU-8 is not encoded: mysql2 encodes in the session's character set (utf8mb4), never the server's.
  if (!Buffer.isEncoding(encoding)) throw unsupported('encode', encoding);
  return {
    write: (text) => Buffer.from(text, encoding),
    end: () => undefined,
  };
}
