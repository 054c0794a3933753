import { describe, expect, it } from 'vitest';
import { parseListFile, refusedByList } from './list-files.js';

describe('reading a list file', () => {
  it('calls a file with NUL bytes binary in one error instead of an error per line', () => {
    const text = `mail.example.com\n${'\u0000\u0001garbage\n'.repeat(500)}`;
    expect(parseListFile('postgrey-clients', text)).toEqual({ entries: [], errors: [{ line: 2, text: '', message: expect.stringMatching(/binary file/) }] });
  });

  it('shows the control characters of a bad line escaped', () => {
    const { errors } = parseListFile('sqlgrey-clients-fqdn', 'mail.example.com\n\u001b[31mred.example\n');
    expect(errors).toEqual([{ line: 2, text: '\\x1b[31mred.example', message: expect.not.stringMatching(/\u001b/) }]);
  });

  it('names the lines a deny list refuses because they would match all mail', () => {
    const { entries } = parseListFile('postgrey-clients', 'spam.example\n/.*/\n0.0.0.0/0\n');
    expect(refusedByList('allow', entries)).toEqual([]);
    expect(refusedByList('deny', entries)).toEqual([
      { line: 2, text: '.*', message: expect.stringMatching(/matches the empty string/) },
      { line: 3, text: '0.0.0.0/0', message: expect.stringMatching(/every IPv4 client/) },
    ]);
  });
});
