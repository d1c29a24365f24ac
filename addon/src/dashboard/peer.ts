/** Small readers of the raw request that the page's access rules share. */
import type { Request } from 'express';

/** `::ffff:172.30.32.2` (IPv4 seen through an IPv6 socket) → `172.30.32.2`. */
export function peerAddress(req: Request): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

export function cookie(req: Request, name: string): string | null {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return null;
}
