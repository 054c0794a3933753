import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** What became of the database file a process opened: still it, gone, another file, or no longer a database. */
export type DatabaseFileChange = { change: 'none' } | { change: 'gone' | 'replaced' | 'not-a-database'; detail: string };

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Watches the path of an open SQLite database. A connection holds the file it opened: once the
 * path names another file (deleted, moved over, restored from a copy), every write lands in a file
 * no one else will read; once the file is overwritten in place, every read fails.
 */
export class DatabaseFileWatch {
  private readonly device: number;
  private readonly inode: number;

  constructor(readonly path: string) {
    const stat = statSync(path);
    this.device = stat.dev;
    this.inode = stat.ino;
  }

  check(): DatabaseFileChange {
    let stat;
    try {
      stat = statSync(this.path);
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') return { change: 'gone', detail: `${this.path} was deleted` };
      throw error;
    }
    if (stat.dev !== this.device || stat.ino !== this.inode) return { change: 'replaced', detail: `${this.path} was replaced by another file` };
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const fd = openSync(this.path, 'r');
    try {
      const read = readSync(fd, header, 0, header.length, 0);
      if (read < header.length || !header.equals(SQLITE_HEADER)) {
        return { change: 'not-a-database', detail: `${this.path} was overwritten in place and is no longer an SQLite database` };
      }
    } finally {
      closeSync(fd);
    }
    return { change: 'none' };
  }
}
