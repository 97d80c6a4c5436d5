/**
 * Every link from the README or docs/ to a section (`[...](#anchor)`,
 * `[...](docs/runbook.md#anchor)`) reaches a heading that exists, by GitHub's
 * rule for heading anchors: lower case, punctuation dropped, spaces as
 * hyphens, `-1`, `-2` ... for repeats. An edit that drops or renames a section
 * the other documents point at fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const ROOT = join(__dirname, '..');
const FILES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const TEXT = Object.fromEntries(FILES.map((file) => [file, readFileSync(join(ROOT, file), 'utf8')]));

/** The text outside fenced code blocks, where `#` starts a comment, not a heading. */
const prose = (text: string) => text.replace(/^[ \t]*(`{3,})[^\n]*\n[\s\S]*?^[ \t]*\1[ \t]*$/gm, '');

function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const slug = heading
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- _]/gu, '')
      .replace(/ /g, '-');
    const repeat = seen.get(slug) ?? 0;
    seen.set(slug, repeat + 1);
    anchors.add(repeat === 0 ? slug : `${slug}-${repeat}`);
  }
  return anchors;
}

const links = FILES.flatMap((file) =>
  [...prose(TEXT[file]).matchAll(/\]\(([^)\s#]*)#([^)\s]+)\)/g)]
    .filter(([, target]) => !/^[a-z]+:/.test(target))
    .map(([, target, anchor]) => ({
      from: file,
      to: target === '' ? file : normalize(join(dirname(file), target)),
      anchor,
    })),
);

describe('links between the documents', () => {
  test('there are links to sections to check', () => {
    expect(links.length).toBeGreaterThan(50);
  });

  test('every link to a section of the README or docs/ reaches a heading', () => {
    const broken = links
      .filter((link) => TEXT[link.to] !== undefined && !anchorsOf(TEXT[link.to]).has(link.anchor))
      .map((link) => `${link.from} -> ${link.to}#${link.anchor}`);
    expect(broken).toEqual([]);
  });
});
