import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** On Linux a thread has its own nice value: the calling thread gives way to the one that answers Postfix. */
export function yieldToAnswers(): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 19);
  } catch {
    // Elsewhere the work competes as an equal; it is still off the answering thread.
  }
}
