/**
 * A guard for tests that must never leave the machine: while installed, any TCP connect or DNS
 * lookup of a host outside the loopback interface fails at once and is recorded, so a regression
 * that would reach the internet fails loudly instead of quietly depending on the network.
 */
import dns from 'node:dns';
import net from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', '::1', '0:0:0:0:0:0:0:1']);

export function isLoopbackHost(host: string | undefined | null): boolean {
  if (host === undefined || host === null || host === '') return true; // Node connects to localhost by default.
  const bare = host.replace(/^\[|\]$/g, '');
  return LOOPBACK_NAMES.has(bare) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || /^::ffff:127\./.test(bare);
}

export interface LoopbackGuard {
  /** Every non-loopback host something tried to reach, in order. */
  readonly violations: readonly string[];
  /** Throws when anything tried to leave the machine. */
  assertClean(): void;
  restore(): void;
}

type ConnectArgs = Parameters<typeof net.Socket.prototype.connect>;

function hostOf(args: unknown[]): string | undefined {
  const [first, second] = args;
  // net.connect() hands Socket#connect its already-normalised arguments as one array.
  if (Array.isArray(first)) return hostOf(first);
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; path?: string };
    return options.path ? undefined : options.host;
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return undefined; // a Unix socket path
  return typeof second === 'string' ? second : undefined;
}

export function installLoopbackGuard(): LoopbackGuard {
  const violations: string[] = [];
  const originalConnect = net.Socket.prototype.connect;
  const originalLookup = dns.lookup;
  const originalPromisesLookup = dns.promises.lookup;

  const refuse = (host: string): Error => {
    violations.push(host);
    return new Error(`test tried to reach ${host}, outside the loopback interface`);
  };

  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: ConnectArgs) {
    const host = hostOf(args);
    if (!isLoopbackHost(host)) throw refuse(host!);
    return originalConnect.apply(this, args);
  } as typeof net.Socket.prototype.connect;

  dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
    if (!isLoopbackHost(hostname)) {
      const callback = rest.find((arg) => typeof arg === 'function') as ((error: Error) => void) | undefined;
      const error = refuse(hostname);
      if (callback) process.nextTick(() => callback(error));
      return undefined;
    }
    return (originalLookup as (...args: unknown[]) => unknown)(hostname, ...rest);
  } as typeof dns.lookup;

  dns.promises.lookup = async function guardedPromisesLookup(hostname: string, ...rest: unknown[]) {
    if (!isLoopbackHost(hostname)) throw refuse(hostname);
    return (originalPromisesLookup as (...args: unknown[]) => Promise<unknown>)(hostname, ...rest);
  } as typeof dns.promises.lookup;

  return {
    violations,
    assertClean() {
      if (violations.length > 0) throw new Error(`tests tried to leave the loopback interface: ${violations.join(', ')}`);
    },
    restore() {
      net.Socket.prototype.connect = originalConnect;
      dns.lookup = originalLookup;
      dns.promises.lookup = originalPromisesLookup;
    },
  };
}
