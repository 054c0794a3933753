import { counted } from '../../../shared/plural.js';
import { ScreenHeader } from '../../app/ScreenHeader.js';
import { ErrorNotice } from '../../components/ErrorNotice.js';
import { SearchBox } from '../../components/SearchBox.js';
import { Empty, Loading } from '../../components/StatusMessage.js';
import { formatCount } from '../../format/time.js';
import { TRACE_LIMIT } from '../../store/insight-slice.js';
import { useApp } from '../../store/store.js';
import { Simulator } from './Simulator.js';
import { TraceResults } from './TraceResults.js';

export function TraceScreen() {
  const query = useApp((state) => state.insight.traceQuery);
  const setQuery = useApp((state) => state.insight.setTraceQuery);
  const trace = useApp((state) => state.insight.trace);
  const tracedFor = useApp((state) => state.insight.tracedFor);
  const setForm = useApp((state) => state.insight.setSimulatorForm);
  const rows = trace.data;

  return (
    <div className="screen-fill trace-screen">
      <ScreenHeader title="Trace" subtitle="Follow a mail through the attempt log: every attempt, what the filter decided, and the rule or state that decided it." />
      <div className="trace-layout">
        <div className="trace-main">
          <div className="toolbar">
            <SearchBox
              value={query}
              onChange={setQuery}
              debounceMs={350}
              label="Search the attempt log"
              placeholder="Client address or network, sender (<> for bounces), recipient or queue id"
            />
            <span className="toolbar-info">
              {rows && tracedFor && (rows.length >= TRACE_LIMIT ? `the newest ${formatCount(TRACE_LIMIT)} attempts; narrow the search for older ones` : `${counted(rows.length, 'attempt')}, newest first`)}
              {trace.loading && rows && ' · searching…'}
            </span>
          </div>
          {trace.error && <ErrorNotice error={trace.error} title="Could not search the attempt log" onRetry={() => setQuery(query)} />}
          {!query.trim() ? (
            <Empty title="Search the attempt log">
              A client address, a client network such as 192.0.2.0/24 or 2001:db8:1:2::/64, or a queue id; a sender, recipient or client name (any part of it); {'<>'} for bounces (the empty sender).
            </Empty>
          ) : !rows || (trace.loading && tracedFor !== query.trim()) ? (
            <Loading what="matching attempts" />
          ) : rows.length === 0 ? (
            <Empty title="No attempt matches">The attempt log keeps every attempt for the “keep the attempt log” period (35 days by default).</Empty>
          ) : (
            <TraceResults
              attempts={rows}
              onPick={(attempt) => setForm({ clientAddress: attempt.clientAddress, clientName: attempt.clientName === 'unknown' ? '' : attempt.clientName, sender: attempt.sender, recipient: attempt.recipient })}
            />
          )}
        </div>
        <Simulator />
      </div>
    </div>
  );
}
