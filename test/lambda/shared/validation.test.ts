import * as z from 'zod/mini';
import {
  formatPath,
  formatValue,
  jsonText,
  MAX_ECHO_LENGTH,
  MAX_PROBLEMS,
  parseOrThrow,
  ValidationError,
} from '../../../lambda/shared/validation';

describe('formatPath', () => {
  it('writes a path the way the JSON reads', () => {
    expect(formatPath(['detail', 'tables', 2], '(event)')).toBe('detail.tables[2]');
    expect(formatPath([], '(event)')).toBe('(event)');
  });
});

describe('formatValue', () => {
  it('renders JSON, names a missing value and cuts long ones', () => {
    expect(formatValue('x')).toBe('"x"');
    expect(formatValue(undefined)).toBe('nothing');
    expect(formatValue(() => 1)).toBe('a function');
    expect(formatValue('y'.repeat(500))).toHaveLength(120);
  });
});

describe('parseOrThrow', () => {
  const Schema = z.strictObject(
    {
      items: z.pipe(
        z.pipe(z.string({ error: 'a JSON list' }), jsonText('the items')),
        z.array(z.number({ error: 'a number' })),
      ),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? 'only the field items' : 'an object') },
  );

  it('returns the parsed value', () => {
    expect(parseOrThrow(Schema, { items: '[1,2]' }, 'Invalid thing', '(thing)')).toEqual({ items: [1, 2] });
  });

  it('lists every problem, and never echoes the value of an unexpected field', () => {
    let caught: unknown;
    try {
      parseOrThrow(Schema, { items: '[1,"two"]', password: 'hunter2' }, 'Invalid thing', '(thing)');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect((caught as ValidationError).message).toBe(
      'Invalid thing:\n' +
        '  - items[1]: expected a number; received "two"\n' +
        '  - password: expected only the field items; received an unexpected field',
    );
  });

  it('reports malformed JSON as a problem of the field', () => {
    expect(() => parseOrThrow(Schema, { items: '[1,' }, 'Invalid thing', '(thing)')).toThrow(
      /^Invalid thing:\n {2}- items: expected the items as JSON \(.+\); received "\[1,"$/,
    );
  });
});

describe('bounded echo', () => {
  it('ValidationError lists the first MAX_PROBLEMS problems and counts the rest', () => {
    const problems = Array.from({ length: 25 }, (_, i) => `p${i}: expected x; received ${i}`);
    const error = new ValidationError('Invalid thing', problems, 5);
    expect(error.problems).toEqual(problems.slice(0, MAX_PROBLEMS));
    expect(error.omitted).toBe(25 - MAX_PROBLEMS + 5);
    expect(error.message.split('\n')).toHaveLength(1 + MAX_PROBLEMS + 1);
    expect(error.message.endsWith(`\n  - ... and ${25 - MAX_PROBLEMS + 5} more problems, not listed`)).toBe(
      true,
    );
    expect(new ValidationError('Invalid thing', ['a'], 1).message).toBe(
      'Invalid thing:\n  - a\n  - ... and 1 more problem, not listed',
    );
  });

  it('cuts a field name taken from the input', () => {
    const path = formatPath(['detail', 'k'.repeat(10_000), 3], '(event)');
    expect(path).toBe(`detail.${'k'.repeat(MAX_ECHO_LENGTH - 3)}...[3]`);
  });

  it('an input that would overflow zod is rejected with one short line, echoing none of it', () => {
    const Schema = z.strictObject(
      { items: z.array(z.string({ error: 'a string' }), { error: 'a list' }) },
      { error: 'an object' },
    );
    const items = Array.from({ length: 400_000 }, (_, i) => i);
    let caught: unknown;
    try {
      parseOrThrow(Schema, { items }, 'Invalid thing', '(thing)');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    const error = caught as ValidationError;
    expect(error.message.length).toBeLessThan(500);
    // Either zod coped and the issues were counted, or it overflowed and the input was refused whole.
    expect(error.problems.length).toBeLessThanOrEqual(MAX_PROBLEMS);
    expect(error.problems[0]).toMatch(
      /^(items\[0\]: expected a string; received 0|\(thing\): expected an input of a sensible size)/,
    );
  });

  it('many wrong values parsed by zod are counted, not rendered', () => {
    const Schema = z.array(z.string({ error: 'a string' }), { error: 'a list' });
    const error = (() => {
      try {
        parseOrThrow(
          Schema,
          Array.from({ length: 5_000 }, (_, i) => i),
          'Invalid thing',
          '(thing)',
        );
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('expected a ValidationError');
    })();
    expect(error.problems).toHaveLength(MAX_PROBLEMS);
    expect(error.problems[0]).toBe('[0]: expected a string; received 0');
    expect(error.omitted).toBe(5_000 - MAX_PROBLEMS);
  });
});
