/** A NormaliseContext backed by fixed tables, so normalising can be tested without a connection. */
import { jidNormalizedUser, type proto, type WAMessageKey } from 'baileys';
import type { Logger } from 'pino';

import type { NormaliseContext } from '../../src/engine/normalise-context.js';

export interface StaticContextOptions {
  ownJid?: string | null;
  ownLid?: string | null;
  /** LID → phone-number jid pairs that are known. */
  lidToPhone?: Readonly<Record<string, string>>;
  groupSubjects?: Readonly<Record<string, string>>;
  messageContent?: (key: WAMessageKey) => proto.IMessage | undefined;
  logger?: Pick<Logger, 'warn'>;
}

export function staticNormaliseContext(options: StaticContextOptions = {}): NormaliseContext {
  const lidToPhone = options.lidToPhone ?? {};
  const phoneToLid = Object.fromEntries(Object.entries(lidToPhone).map(([lid, pn]) => [pn, lid]));
  return {
    ownJid: options.ownJid ?? null,
    ownLid: options.ownLid ?? null,
    phoneJidForLid: async (lid) => lidToPhone[jidNormalizedUser(lid)] ?? null,
    lidForPhoneJid: async (pn) => phoneToLid[jidNormalizedUser(pn)] ?? null,
    groupSubject: async (jid) => options.groupSubjects?.[jid] ?? null,
    messageContent: async (key) => options.messageContent?.(key),
    logger: options.logger,
  };
}
