// The figures the project reports, side by side for Greyward and its peers at 8 connections, each
// Greyward figure beside its target and printed as measured, met or not.

export const SUMMARY_CONNECTIONS = 8;
export const TARGETS = { vsPostgrey: 10, vsNoop: 0.5, p99Ms: 2, rssMiB: 150, kibPerDecision: 1, flat: 0.1 };
/** On a shared PostgreSQL greylist: against sqlgrey on the same server. */
export const PG_TARGETS = { vsSqlgreyPg: 10, p99Ms: 5, flat: 0.1 };

const fmt = (x, digits = 2) => (x == null || Number.isNaN(x) ? '-' : x.toFixed(digits));
const tag = (ok) => (ok == null ? '' : ok ? ' ok' : ' MISS');
const WIDTHS = [20, 8, 14, 12, 12, 12, 13];

function line(cells) {
  return '  ' + cells.map((cell, i) => (i === 0 ? String(cell).padEnd(WIDTHS[i]) : String(cell).padStart(WIDTHS[i]))).join(' ');
}

/**
 * Prints the summary and returns its items (for the JSON report). `writesCounted` false: the data
 * directory's file system does not count writes, and bytes per decision are not shown as 0.
 */
export function printSummary({ results, scenarios, bigDbCount, writesCounted, log = console.log }) {
  const find = (server, scenario) => results.find((r) => r.server === server && r.scenario === scenario && r.connections === SUMMARY_CONNECTIONS);
  const ratio = (a, b) => (a?.throughput && b?.throughput ? a.throughput / b.throughput : null);
  const kib = (row) => (writesCounted ? row.writeKiBPerDecision : null);
  const summary = [];
  const big = `${(bigDbCount / 1e6).toLocaleString('en-US')}M`;
  if (!results.some((r) => !r.server.endsWith('-pg') && !r.server.includes('-pg-'))) return printPgSummary({ results, scenarios, big, log, summary });
  log(
    `\nsummary at ${SUMMARY_CONNECTIONS} connections (ok/MISS: Greyward against its target; the machine's cores are shared, ` +
      'so figures vary from run to run)',
  );
  if (!writesCounted) log('  KiB written per decision: n/a, the data directory\'s file system does not count writes (see the probe above)');
  for (const scenario of scenarios) {
    log(`\n  scenario ${scenario}`);
    log(line(['server', 'req/s', 'x postgrey', 'x noop', 'p99 ms', 'RSS MiB', 'KiB/decision']));
    log(line(['target (Greyward)', '', `>= ${TARGETS.vsPostgrey}`, `>= ${fmt(TARGETS.vsNoop)}`, `< ${TARGETS.p99Ms}`, `< ${TARGETS.rssMiB}`, `<= ${TARGETS.kibPerDecision}`]));
    const postgrey = find('postgrey', scenario);
    const noop = find('noop', scenario);
    for (const [server, label] of [['noop', 'noop (floor)'], ['postgrey', 'postgrey'], ['sqlgrey', 'sqlgrey'], ['greyward', 'greyward empty'], ['greyward-1m', `greyward ${big}`]]) {
      const row = find(server, scenario);
      if (!row) {
        log(line([label, 'no result', '', '', '', '', '']));
        continue;
      }
      const vsPostgrey = server === 'postgrey' ? null : ratio(row, postgrey);
      const vsNoop = server === 'noop' ? null : ratio(row, noop);
      const judged = server.startsWith('greyward');
      const met = {
        vsPostgrey: vsPostgrey == null ? null : vsPostgrey >= TARGETS.vsPostgrey,
        vsNoop: vsNoop == null ? null : vsNoop >= TARGETS.vsNoop,
        p99: row.p99 < TARGETS.p99Ms,
        rss: row.peakRssMiB == null ? null : row.peakRssMiB < TARGETS.rssMiB,
        kibPerDecision: kib(row) == null ? null : kib(row) <= TARGETS.kibPerDecision,
      };
      const cell = (text, ok) => text + (judged ? tag(ok) : '');
      log(
        line([
          label,
          row.throughput,
          cell(vsPostgrey == null ? '-' : fmt(vsPostgrey, 1), met.vsPostgrey),
          cell(vsNoop == null ? '-' : fmt(vsNoop, 2), met.vsNoop),
          cell(fmt(row.p99, 3), met.p99),
          cell(fmt(row.peakRssMiB, 1), met.rss),
          cell(kib(row) == null ? 'n/a' : fmt(kib(row), 2), met.kibPerDecision),
        ]),
      );
      summary.push({
        server,
        scenario,
        connections: SUMMARY_CONNECTIONS,
        throughput: row.throughput,
        vsPostgrey,
        vsNoop,
        p99: row.p99,
        peakRssMiB: row.peakRssMiB,
        writeKiBPerDecision: kib(row),
        ...(judged ? { met } : {}),
      });
    }
  }
  log('');
  for (const scenario of scenarios) {
    const empty = find('greyward', scenario);
    const full = find('greyward-1m', scenario);
    const flat = ratio(full, empty);
    const ok = flat == null ? null : Math.abs(flat - 1) <= TARGETS.flat;
    summary.push({ flat: true, scenario, connections: SUMMARY_CONNECTIONS, throughputRatio: flat, met: ok });
    log(
      `  flat, ${scenario.padEnd(5)} greyward ${big} / empty: throughput ${fmt(flat, 2)}x (target within +-${TARGETS.flat * 100}%)${tag(ok)}, ` +
        `p99 ${fmt(empty?.p99, 3)} -> ${fmt(full?.p99, 3)} ms, KiB/decision ${fmt(empty && kib(empty), 2)} -> ${fmt(full && kib(full), 2)}`,
    );
  }
  if (results.some((r) => r.server.endsWith('-pg') || r.server.includes('-pg-'))) printPgSummary({ results, scenarios, big, log, summary });
  return summary;
}

const PG_WIDTHS = [24, 8, 14, 9, 12, 9, 9, 11];
const pgLine = (cells) => '  ' + cells.map((cell, i) => (i === 0 ? String(cell).padEnd(PG_WIDTHS[i]) : String(cell).padStart(PG_WIDTHS[i]))).join(' ');

/** Greyward on a shared PostgreSQL database beside sqlgrey on the same server, against their targets; adds to `summary`. */
function printPgSummary({ results, scenarios, big, log, summary }) {
  const find = (server, scenario) => results.find((r) => r.server === server && r.scenario === scenario && r.connections === SUMMARY_CONNECTIONS);
  const ratio = (a, b) => (a?.throughput && b?.throughput ? a.throughput / b.throughput : null);
  log(
    `\nsummary on PostgreSQL at ${SUMMARY_CONNECTIONS} connections (one cluster for all, a database each; greyward-pg-2: two filters on one database, ` +
      'the connections split between them, throughput combined; failMode: requests a filter answered without the database, its lookup having taken over 100 ms)',
  );
  for (const scenario of scenarios) {
    log(`\n  scenario ${scenario}`);
    log(pgLine(['server', 'req/s', 'x sqlgrey-pg', 'p50 ms', 'p99 ms', 'srv µs/r', 'db µs/r', 'failMode']));
    log(pgLine(['target (Greyward)', '', `>= ${PG_TARGETS.vsSqlgreyPg}`, '', `< ${PG_TARGETS.p99Ms}`, '', '', '0']));
    const sqlgrey = find('sqlgrey-pg', scenario);
    for (const [server, label] of [['sqlgrey-pg', 'sqlgrey'], ['greyward-pg', 'greyward, 1 filter'], ['greyward-pg-2', 'greyward, 2 filters'], ['greyward-pg-1m', `greyward ${big}, 1 filter`]]) {
      const row = find(server, scenario);
      if (!row) {
        log(pgLine([label, 'no result', '', '', '', '', '', '']));
        continue;
      }
      const judged = server.startsWith('greyward');
      const vsSqlgrey = judged ? ratio(row, sqlgrey) : null;
      const met = { vsSqlgreyPg: vsSqlgrey == null ? null : vsSqlgrey >= PG_TARGETS.vsSqlgreyPg, p99: row.p99 < PG_TARGETS.p99Ms };
      const cell = (text, ok) => text + (judged ? tag(ok) : '');
      log(
        pgLine([
          label,
          row.throughput,
          cell(vsSqlgrey == null ? '-' : fmt(vsSqlgrey, 1), met.vsSqlgreyPg),
          fmt(row.p50, 3),
          cell(fmt(row.p99, 3), met.p99),
          fmt(row.serverCpuUsPerRequest, 1),
          fmt(row.dbCpuUsPerRequest, 1),
          judged ? String(row.answeredWithoutStore ?? '-') : '',
        ]),
      );
      summary.push({ server, scenario, connections: SUMMARY_CONNECTIONS, throughput: row.throughput, vsSqlgreyPg: vsSqlgrey, p50: row.p50, p99: row.p99, answeredWithoutStore: row.answeredWithoutStore, ...(judged ? { met } : {}) });
    }
  }
  log('');
  for (const scenario of scenarios) {
    const empty = find('greyward-pg', scenario);
    const full = find('greyward-pg-1m', scenario);
    const flat = ratio(full, empty);
    const ok = flat == null ? null : Math.abs(flat - 1) <= PG_TARGETS.flat;
    summary.push({ flat: true, store: 'postgres', scenario, connections: SUMMARY_CONNECTIONS, throughputRatio: flat, met: ok });
    log(
      `  flat, ${scenario.padEnd(5)} greyward-pg ${big} / empty: throughput ${fmt(flat, 2)}x (target within +-${PG_TARGETS.flat * 100}%)${tag(ok)}, ` +
        `p99 ${fmt(empty?.p99, 3)} -> ${fmt(full?.p99, 3)} ms`,
    );
  }
  return summary;
}
