/**
 * A size-limited tmpfs for disk-full tests: writes fail with a real ENOSPC from the kernel at every
 * write site, as on a full disk. Mounting needs root (or CAP_SYS_ADMIN); without it the tests that
 * need one are skipped with a reason rather than faked.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  /** Fills the filesystem to the last byte (a filler file), so the next write fails with ENOSPC. */
  fill(): Promise<void>;
  /** Gives the space back (deletes the filler). */
  free(): Promise<void>;
}

let mountable: boolean | undefined;

/** Whether this process may mount a tmpfs (tried once). */
export function canMountTmpfs(): boolean {
  if (mountable !== undefined) return mountable;
  const probe = mkdtempSync(join(tmpdir(), 'wa-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    mountable = true;
  } catch {
    mountable = false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
  return mountable;
}

export const TMPFS_SKIP = 'needs permission to mount a size-limited tmpfs (run as root)';

export async function withTmpfs<T>(sizeKb: number, run: (fs: Tmpfs) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'wa-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0700`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  const tmpfs: Tmpfs = {
    dir,
    fill: async () => {
      const handle = await open(filler, 'a');
      const chunk = Buffer.alloc(4096, 0x61);
      try {
        for (;;) await handle.write(chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
      // The last partial page: single bytes until not even one fits.
      try {
        for (;;) await handle.write(Buffer.from('a'));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        await handle.close();
      }
    },
    free: async () => {
      await unlink(filler).catch(() => undefined);
    },
  };
  try {
    return await run(tmpfs);
  } finally {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}
