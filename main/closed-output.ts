/**
 * Keeps the process running when its stdout or stderr stops being readable: the reader of a pipe
 * died (the `greyward ui` or app that started the filter was killed: EPIPE), or a terminal hung up
 * (EIO). A long-running process loses its log there, not its work; the filter's decisions are in
 * the database anyway. Node ignores SIGPIPE; the listener keeps it so under any embedding runtime.
 */
export function surviveClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  process.on('SIGPIPE', () => undefined);
}
