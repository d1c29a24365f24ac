/**
 * The envelope around what a person wrote: wrappers to look through, protocol parts that carry
 * nothing to show, and the reply/mention info whichever content type holds it.
 */
import { normalizeMessageContent, type proto } from 'baileys';

/** Wrappers that only carry another message; Baileys unwraps most, these few it leaves. */
export function unwrapContent(message: proto.IMessage | null | undefined): proto.IMessage | undefined {
  let content = normalizeMessageContent(message);
  for (let depth = 0; content && depth < 5; depth++) {
    const inner =
      content.deviceSentMessage?.message ??
      content.groupMentionedMessage?.message ??
      content.lottieStickerMessage?.message ??
      content.botInvokeMessage?.message ??
      content.pollCreationMessageV4?.message;
    if (!inner) break;
    content = normalizeMessageContent(inner);
  }
  return content;
}

/** Content keys that carry no user-visible message. */
const NOISE_CONTENT_KEYS = new Set<string>([
  'senderKeyDistributionMessage',
  'fastRatchetKeySenderKeyDistributionMessage',
  'messageContextInfo',
  'protocolMessage',
  'keepInChatMessage',
  'placeholderMessage',
  'secretEncryptedMessage',
  'encEventResponseMessage',
  'stickerSyncRmrMessage',
  // Encrypted reactions and comments of community announcements: nothing readable to report.
  'encReactionMessage',
  'encCommentMessage',
]);

export function hasUserVisibleContent(content: proto.IMessage): boolean {
  return Object.entries(content).some(
    ([key, value]) =>
      value !== null &&
      value !== undefined &&
      !NOISE_CONTENT_KEYS.has(key) &&
      (key === 'conversation' || key.endsWith('Message')),
  );
}

/** The contextInfo of whatever content type the message is, for replies and mentions. */
export function contextInfoOf(content: proto.IMessage): proto.IContextInfo | null {
  for (const inner of Object.values(content) as unknown[]) {
    if (inner && typeof inner === 'object' && 'contextInfo' in inner) {
      const info = (inner as { contextInfo?: proto.IContextInfo | null }).contextInfo;
      if (info) return info;
    }
  }
  return null;
}

/** The phone number a vCard names: WhatsApp's `waid` when present, else the first TEL line. */
export function phoneFromVcard(vcard: string | null | undefined): string | null {
  if (!vcard) return null;
  const waid = /waid=(\d+)/i.exec(vcard);
  if (waid?.[1]) return `+${waid[1]}`;
  const tel = /^TEL[^:]*:(.+)$/im.exec(vcard);
  if (!tel?.[1]) return null;
  const digits = tel[1].replace(/[^\d+]/g, '');
  if (!digits) return null;
  return digits.startsWith('+') ? digits : `+${digits}`;
}
