import type { SqliteDatabase } from './database.js';

/** Strings read per query while the catalogue catches up. */
const READ_CHUNK = 50_000;
/** Texts per block: a block is one string searched with indexOf, and one set of offsets. */
const BLOCK_STRINGS = 200_000;

interface Block {
  /** The texts, lower-case, each followed by a newline (which no stored text holds). */
  text: string;
  /** Where each text starts in `text`. */
  starts: Int32Array;
  ids: Int32Array;
}

/**
 * Every stored string in memory, lower-cased, for substring search: a search looks through the
 * distinct texts (a few million at most, some tens of MB) with indexOf, never through the rows
 * that use them. Strings are only ever added (ids grow), so catching up reads the new ones only.
 */
export class StringCatalogue {
  private readonly blocks: Block[] = [];
  private pending: { texts: string[]; ids: number[] } = { texts: [], ids: [] };
  private pendingAsBlock: Block | undefined;
  private lastId = 0;

  constructor(private readonly db: SqliteDatabase) {}

  /** Reads the strings stored since the last call. */
  catchUp(): void {
    const read = this.db.prepare('SELECT id, text FROM strings WHERE id > ? ORDER BY id LIMIT ?').raw();
    for (;;) {
      const rows = read.all(this.lastId, READ_CHUNK) as Array<[number, string]>;
      for (const [id, text] of rows) {
        this.pending.ids.push(id);
        this.pending.texts.push(text.toLowerCase());
        this.pendingAsBlock = undefined;
        if (this.pending.ids.length >= BLOCK_STRINGS) this.seal();
      }
      if (rows.length > 0) this.lastId = rows.at(-1)![0];
      if (rows.length < READ_CHUNK) break;
    }
  }

  /** Ids of the strings that contain `term` (case-insensitive), in id order; after catchUp(). */
  idsContaining(term: string): number[] {
    const needle = term.toLowerCase();
    if (needle.includes('\n')) return [];
    const found: number[] = [];
    for (const block of [...this.blocks, this.pendingBlock()]) {
      let at = block.text.indexOf(needle);
      while (at !== -1) {
        const index = lastStartAtOrBefore(block.starts, at);
        found.push(block.ids[index]!);
        // The next text: a term found twice in one text names it once.
        const next = index + 1 < block.starts.length ? block.starts[index + 1]! : block.text.length;
        at = block.text.indexOf(needle, next);
      }
    }
    return found;
  }

  /** The largest id read so far. */
  get maxId(): number {
    return this.lastId;
  }

  private pendingBlock(): Block {
    return (this.pendingAsBlock ??= makeBlock(this.pending.texts, this.pending.ids));
  }

  private seal(): void {
    this.blocks.push(makeBlock(this.pending.texts, this.pending.ids));
    this.pending = { texts: [], ids: [] };
  }
}

function makeBlock(texts: readonly string[], ids: readonly number[]): Block {
  const starts = new Int32Array(texts.length);
  let offset = 0;
  for (let i = 0; i < texts.length; i++) {
    starts[i] = offset;
    offset += texts[i]!.length + 1;
  }
  return { text: texts.length ? `${texts.join('\n')}\n` : '', starts, ids: Int32Array.from(ids) };
}

function lastStartAtOrBefore(starts: Int32Array, at: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = (low + high + 1) >> 1;
    if (starts[middle]! <= at) low = middle;
    else high = middle - 1;
  }
  return low;
}
