// Bytes a process writes to disk, and where the benchmark keeps its databases.
//
// /proc/PID/io write_bytes counts the bytes a process (all its threads) dirties in the page
// cache of a file system that writes back to a block device: what reaches the disk, WAL and
// checkpoints included, a page rewritten before write-back counted once. File systems without
// write-back (tmpfs, ramfs) count nothing, so a directory on one would show 0 bytes for every
// server: the data directory is chosen on a real disk where there is one, and a probe says
// whether writes there are counted at all.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const NO_WRITE_BACK = new Set(['tmpfs', 'ramfs', 'devtmpfs', 'squashfs']);

/** write_bytes of a process, or null when it cannot be read (gone, or not ours to read). */
export function writeBytes(pid) {
  try {
    const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
    const value = Number(/^write_bytes:\s+(\d+)/m.exec(io)?.[1]);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

/** A process and its descendants (a daemon that forks its workers writes through them). */
export function processTree(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(parent)) children.set(parent, []);
      children.get(parent).push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  const tree = [pid];
  for (let k = 0; k < tree.length; k++) tree.push(...(children.get(tree[k]) ?? []));
  return tree;
}

/** write_bytes of a process and its descendants together, or null when the process's own cannot be read. */
export function treeWriteBytes(pid) {
  const own = writeBytes(pid);
  if (own === null) return null;
  return processTree(pid)
    .slice(1)
    .reduce((sum, child) => sum + (writeBytes(child) ?? 0), own);
}

/** The file system a path lives on: its type, device and mount point. */
export function filesystemOf(dir) {
  try {
    const [type, source, target] = execFileSync('findmnt', ['-n', '-o', 'FSTYPE,SOURCE,TARGET', '-T', dir], { encoding: 'utf8' })
      .trim()
      .split('\n')[0]
      .split(/\s+/);
    return { type, source, target };
  } catch {
    return { type: 'unknown', source: '?', target: '?' };
  }
}

/**
 * The directory the benchmark's databases go under: BENCH_DATA_DIR, else the first of the system's
 * temporary directories that is on a file system with write-back.
 */
export function benchDataRoot() {
  if (process.env.BENCH_DATA_DIR) return path.resolve(process.env.BENCH_DATA_DIR);
  const candidates = [os.tmpdir(), '/var/tmp'];
  return candidates.find((dir) => fs.existsSync(dir) && !NO_WRITE_BACK.has(filesystemOf(dir).type)) ?? os.tmpdir();
}

/**
 * Whether write_bytes counts writes under `dir`: this process writes 4 MiB there and reads its own
 * counter. Returns { counted, fs, note }.
 */
export function probeWriteAccounting(dir) {
  const fsInfo = filesystemOf(dir);
  const before = writeBytes(process.pid);
  if (before === null) return { counted: false, fs: fsInfo, note: '/proc/PID/io is not readable here (no task I/O accounting)' };
  const file = path.join(dir, `.write-probe-${process.pid}`);
  const size = 4 * 2 ** 20;
  try {
    fs.writeFileSync(file, Buffer.alloc(size, 1));
    const written = writeBytes(process.pid) - before;
    const counted = written >= size / 2;
    const note = counted
      ? `${fsInfo.type} on ${fsInfo.source}: writes counted (probe: ${(written / 2 ** 20).toFixed(1)} MiB for 4 MiB)`
      : `${fsInfo.type} on ${fsInfo.source}: write_bytes does not count writes here (probe: ${written} bytes for 4 MiB); ` +
        'bytes per decision cannot be measured, set BENCH_DATA_DIR to a directory on a disk';
    return { counted, fs: fsInfo, note };
  } finally {
    fs.rmSync(file, { force: true });
  }
}
