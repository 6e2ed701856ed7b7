import { readdirSync, readlinkSync } from 'node:fs';

/**
 * How many inotify instances a process holds open (Linux): Node opens one for its first
 * fs.watch, which chokidar uses, so 0 means the process watches no file. A check that needs
 * no waiting, unlike "nothing reloaded after N ms", which a slow watcher passes too.
 */
export function inotifyInstances(pid: number): number {
  let count = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:inotify') count++;
    } catch {
      // Closed between listing and reading.
    }
  }
  return count;
}
