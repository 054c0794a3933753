/** Text from files and people, safe to write to a terminal: control characters become escapes like \x1b. */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => {
    const code = char.charCodeAt(0);
    if (char === '\n') return '\\n';
    if (char === '\t') return '\\t';
    if (char === '\r') return '\\r';
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Times past year 9999 or before year 1 have no date to show (and Date throws beyond ±275,000 years). */
const FIRST_SHOWN = -62_135_596_800; // 0001-01-01
const LAST_SHOWN = 253_402_300_799; // 9999-12-31 23:59:59

/** What to show instead of a date for a stored time no calendar reads, or undefined for an ordinary time. */
export function unshowableTime(unixSeconds: number): 'far future' | 'long ago' | undefined {
  if (Number.isNaN(unixSeconds)) return 'long ago';
  if (unixSeconds > LAST_SHOWN) return 'far future';
  if (unixSeconds < FIRST_SHOWN) return 'long ago';
  return undefined;
}
