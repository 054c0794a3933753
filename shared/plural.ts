const grouped = new Intl.NumberFormat();

/**
 * A count and its noun in the right number, grouped as the screens group numbers:
 * counted(1, 'entry', 'entries') is "1 entry", counted(1500, 'entry', 'entries') "1,500 entries".
 */
export function counted(count: number, one: string, many = `${one}s`): string {
  return `${grouped.format(count)} ${count === 1 ? one : many}`;
}
