import * as z from 'zod/mini';
import {
  formatPath,
  formatValue,
  jsonText,
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
