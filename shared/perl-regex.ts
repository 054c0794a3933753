/**
 * Perl regular expressions, as postgrey's list files hold them, rewritten for RE2 where they mean
 * the same; anything RE2 cannot express (backreferences, lookaround, atomic groups…) is refused.
 */
// What Perl's \h and \v match; RE2 has no \h, and its \v is only the vertical tab.
const PERL_HSPACE = '\\t\\x20\\xA0\\x{1680}\\x{2000}-\\x{200A}\\x{202F}\\x{205F}\\x{3000}';
const PERL_VSPACE = '\\n\\x0B\\f\\r\\x{85}\\x{2028}\\x{2029}';
// Inline flags that change nothing here: x (a postgrey regex has no whitespace and no #),
// n (captures do not matter to a yes/no search), and the character-set flags (subjects are ASCII).
const IGNORED_PERL_FLAGS = new Set(['x', 'n', 'a', 'd', 'l', 'u', 'p']);

function hex(code: number): string {
  return `\\x{${code.toString(16).toUpperCase()}}`;
}

/** The escape sequence beginning at source[i] ("\\"), rewritten for RE2, and its length. */
function translateEscape(source: string, i: number, inClass: boolean, fail: (what: string) => Error): [string, number] {
  const d = source[i + 1]!;
  const braced = (): [string, number] => {
    // \x{…}, \p{…}, \P{…}: copied whole so the braces are not mistaken for a quantifier
    if (source[i + 2] !== '{') return [source.slice(i, i + 2), 2];
    const end = source.indexOf('}', i + 3);
    return end === -1 ? [source.slice(i, i + 2), 2] : [source.slice(i, end + 1), end + 1 - i];
  };
  switch (d) {
    case 'x':
    case 'p':
    case 'P':
      return braced();
    case 'Q':
    case 'E':
      throw new Error(
        `/${source}/: postgrey (Perl) reads \\Q and \\E in a whitelist regex as the letters Q and E, while RE2 reads them as quoting; escape the characters with \\ instead`,
      );
    case 'e':
      return ['\\x1B', 2];
    case 'c': {
      const ch = source[i + 2];
      if (ch === undefined) return ['\\c', 2];
      return [hex(ch.toUpperCase().charCodeAt(0) ^ 64), 3];
    }
    case 'o': {
      const octal = /^\\o\{([0-7]+)\}/.exec(source.slice(i));
      return octal ? [hex(parseInt(octal[1]!, 8)), octal[0].length] : ['\\o', 2];
    }
    case 'h':
      return [inClass ? PERL_HSPACE : `[${PERL_HSPACE}]`, 2];
    case 'v':
      return [inClass ? PERL_VSPACE : `[${PERL_VSPACE}]`, 2];
  }
  if (!inClass && /[1-9]/.test(d)) throw fail(`the backreference \\${d} (RE2 has no backreferences; write a character code as \\xHH)`);
  if (d === 'g' || d === 'k') throw fail(`the backreference \\${d}… (RE2 has no backreferences)`);
  if (d === 'C') throw fail('\\C (a single byte)');
  if (inClass) {
    if (d === 'b') return ['\\x08', 2]; // backspace inside a class
    if ('HVRN'.includes(d)) throw fail(`\\${d} inside a character class`);
    return [source.slice(i, i + 2), 2];
  }
  switch (d) {
    case 'Z':
      // end or before a final newline; names and addresses from Postfix never contain one
      return ['\\z', 2];
    case 'H':
      return [`[^${PERL_HSPACE}]`, 2];
    case 'V':
      return [`[^${PERL_VSPACE}]`, 2];
    case 'R':
      return [`(?:\\r\\n|[${PERL_VSPACE}])`, 2];
    case 'N':
      if (source[i + 2] === '{') throw fail('named characters \\N{…}; write \\x{HHHH}');
      return ['[^\\n]', 2];
    case 'K':
      throw fail('\\K (keep)');
    case 'G':
      throw fail('\\G (end of the previous match)');
    case 'X':
      throw fail('\\X (grapheme cluster)');
  }
  return [source.slice(i, i + 2), 2];
}

/** The `(?…` construct beginning at source[i], rewritten for RE2, and its length. */
function translateGroupOpen(source: string, i: number, fail: (what: string) => Error): [string, number] {
  const rest = source.slice(i + 2);
  if (rest.startsWith('=') || rest.startsWith('!')) throw fail('lookahead (?=…) or (?!…)');
  if (rest.startsWith('<=') || rest.startsWith('<!')) throw fail('lookbehind (?<=…) or (?<!…)');
  if (rest.startsWith('>')) throw fail('an atomic group (?>…)');
  if (rest.startsWith('|')) throw fail('a branch reset group (?|…)');
  if (rest.startsWith('(')) throw fail('a conditional (?(…)…)');
  if (/^(?:R\)|[+-]?\d|&|P>)/.test(rest)) throw fail('recursion such as (?R), (?1) or (?&name)');
  if (rest.startsWith('P=')) throw fail('the backreference (?P=name) (RE2 has no backreferences)');
  if (rest.startsWith('{') || rest.startsWith('?{') || rest.startsWith('??{')) throw fail('embedded Perl code');
  const quotedName = /^'([A-Za-z_]\w*)'/.exec(rest);
  if (quotedName) return [`(?<${quotedName[1]}>`, 2 + quotedName[0].length];
  const flags = /^(\^?)([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(rest);
  if (!flags || (flags[1] === '' && flags[2] === '' && flags[3] === undefined)) return ['(?', 2];
  const [whole, caret, on = '', off, end = ')'] = flags;
  if (caret && off !== undefined) return ['(?', 2]; // not Perl either: RE2 reports it
  const keep = (set: string): string => {
    let kept = '';
    for (const flag of set) {
      if (flag === 'U') throw new Error(`/${source}/: (?U) is RE2's ungreedy flag; Perl has no such flag and postgrey would refuse the regex`);
      if (!IGNORED_PERL_FLAGS.has(flag)) kept += flag;
    }
    return kept;
  };
  const keptOn = keep(on);
  // (?^…) turns every flag off but the ones it names; the ones RE2 knows are i, m and s
  const keptOff = caret ? [...'ims'].filter((f) => !keptOn.includes(f)).join('') : off === undefined ? undefined : keep(off);
  const length = 2 + whole.length;
  if (keptOn === '' && !keptOff) return [end === ':' ? '(?:' : '', length];
  return [`(?${keptOn}${keptOff ? `-${keptOff}` : ''}${end}`, length];
}

/**
 * A Perl regular expression from a postgrey whitelist, rewritten as RE2 with the same meaning
 * for Postfix client names and addresses (which never contain a newline). Throws an Error saying
 * what RE2 cannot express. The result still has to compile: see parsePostgreyList.
 */
export function perlRegexToRe2(source: string): string {
  const fail = (what: string) => new Error(`/${source}/: RE2 cannot express ${what}, a Perl-only construct`);
  let out = '';
  let i = 0;
  let inClass = false;
  let classBody = -1;
  const noPossessive = () => {
    if (source[i] === '+') throw fail('a possessive quantifier such as a++');
  };
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      if (i + 1 >= source.length) {
        out += c; // a trailing backslash: RE2 reports it
        i++;
        continue;
      }
      const [text, length] = translateEscape(source, i, inClass, fail);
      out += text;
      i += length;
      continue;
    }
    if (inClass) {
      if (c === '[' && source[i + 1] === ':') {
        const end = source.indexOf(':]', i + 2);
        if (end !== -1) {
          out += source.slice(i, end + 2);
          i = end + 2;
          continue;
        }
      }
      if (c === ']' && i !== classBody) inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      if (source[i] === '^') {
        out += '^';
        i++;
      }
      classBody = i; // a "]" right here is a literal
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const [text, length] = translateGroupOpen(source, i, fail);
      out += text;
      i += length;
      continue;
    }
    if (c === '{') {
      const rest = source.slice(i);
      const upTo = /^\{,(\d+)\}/.exec(rest); // Perl 5.34+: {,n} is {0,n}; RE2 reads it literally
      const counted = upTo ? undefined : /^\{\d+(?:,\d*)?\}/.exec(rest);
      if (upTo) out += `{0,${upTo[1]}}`;
      else if (counted) out += counted[0];
      else out += '\\{'; // a literal brace, written so that both engines agree
      i += upTo?.[0].length ?? counted?.[0].length ?? 1;
      if (upTo || counted) {
        if (source[i] === '?') {
          out += '?';
          i++;
        } else noPossessive();
      }
      continue;
    }
    out += c;
    i++;
    if (c === '*' || c === '+' || c === '?') {
      if (source[i] === '?' && c !== '?') {
        out += '?';
        i++;
      } else noPossessive();
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing
