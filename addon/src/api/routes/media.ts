import { isMediaId } from '../../media/media-store.js';
import { UploadError } from '../../media/upload-stream.js';
import { isStorageFull } from '../../util/storage-health.js';
import { ApiError } from '../errors.js';
import { route, type Route } from '../registry.js';
import { FilenameHeader, MediaIdParams, UploadedMedia } from '../schema/media.js';

const MIMETYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i;

/** `X-Filename` as a plain file name: no directories, no control characters. */
function cleanFilename(raw: string | undefined): string | null {
  if (!raw) return null;
  let name = raw;
  try {
    name = decodeURIComponent(raw);
  } catch {
    // not percent-encoded: use as is
  }
  name = name.replace(/[\x00-\x1f\x7f]/g, '').split(/[\\/]/).pop()!.trim();
  if (name === '' || name === '.' || name === '..') return null;
  return name.slice(0, 255);
}

function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

function tooLarge(maxMb: number): ApiError {
  return new ApiError(
    413,
    'payload_too_large',
    `The file is larger than the add-on accepts (${maxMb} MB, counted after decompression). Send a smaller file or raise the media upload limit in the add-on options.`,
  );
}

function uploadApiError(error: unknown, maxMb: number, quotaBytes: number): unknown {
  if (isStorageFull(error)) {
    return new ApiError(507, 'storage_full', "The add-on's storage is full, so the upload could not be stored. Free space on the add-on's disk and try again.");
  }
  if (!(error instanceof UploadError)) return error;
  switch (error.problem) {
    case 'too_large':
      return tooLarge(maxMb);
    case 'quota_exceeded':
      return new ApiError(
        507,
        'upload_quota_exceeded',
        `Uploads waiting to be sent already take ${Math.round(quotaBytes / (1024 * 1024))} MB, all the add-on keeps. Send the uploaded media first, or wait until older uploads expire (after 24 hours).`,
      );
    case 'unsupported_encoding':
      return new ApiError(415, 'unsupported_encoding', error.message);
    case 'bad_encoding':
    case 'empty':
      return new ApiError(400, 'invalid_request', error.message);
  }
}

/** The upload's body is not parsed: uploads of any type arrive as raw bytes, streamed to disk. */
export const mediaRoutes: readonly Route[] = [
  route({
    method: 'post',
    path: '/v1/media',
    summary: 'Upload media to send: the raw bytes as the body, with their Content-Type (optionally Content-Encoding gzip, deflate or br).',
    perAccount: true,
    headers: [{ name: 'X-Filename', schema: FilenameHeader, description: 'The file name, for documents.' }],
    body: { kind: 'raw', description: 'The file.' },
    responses: {
      200: { description: 'OK', schema: UploadedMedia },
      415: { description: '`unsupported_encoding`: a Content-Encoding other than gzip, deflate or br.' },
      507: { description: "`upload_quota_exceeded`: uploads waiting to be sent take all the room the add-on keeps for them; `storage_full`: the add-on's disk is full." },
    },
    handler: async ({ account: { media }, req, res }) => {
      const maxMb = Math.round(media.options.maxUploadBytes / (1024 * 1024));
      const declared = Number(req.get('content-length'));
      if (Number.isFinite(declared) && declared > media.options.maxUploadBytes) throw tooLarge(maxMb);
      const mimetype = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!MIMETYPE.test(mimetype)) {
        throw new ApiError(400, 'invalid_request', 'Send the file as the raw body with its Content-Type, e.g. "Content-Type: image/jpeg".');
      }
      try {
        const saved = await media.saveUploadStream(req, req.get('content-encoding'), mimetype, cleanFilename(req.get('x-filename')));
        res.json({ media_id: saved.media_id, mimetype: saved.mimetype, size: saved.size });
      } catch (error) {
        // The rest of a refused body is not read: close the connection after the answer.
        if (!req.complete) res.set('Connection', 'close');
        throw uploadApiError(error, maxMb, media.uploadQuotaBytes);
      }
    },
  }),
  route({
    method: 'get',
    path: '/v1/media/{media_id}',
    summary: 'The bytes of uploaded media, or of received media (downloaded from WhatsApp on first request and cached).',
    perAccount: true,
    params: MediaIdParams,
    responses: {
      200: { description: 'The media bytes with their Content-Type.', binary: true },
      404: { description: 'No such media.' },
      503: { description: 'WhatsApp is not connected.' },
    },
    handler: async ({ account: { media, sender }, params: { media_id: id }, res }) => {
      if (!isMediaId(id)) throw new ApiError(404, 'media_not_found', 'No media with that id.');
      let stored = await media.get(id);
      if (!stored && id.startsWith('r_')) {
        const messenger = await sender.messenger();
        const downloaded = await messenger.downloadMedia(id.slice(2));
        if (downloaded) {
          stored = await media.cacheReceived(id, downloaded.data, downloaded.mimetype ?? 'application/octet-stream', downloaded.filename);
        }
      }
      if (!stored) {
        throw new ApiError(404, 'media_not_found', 'No media with that id: uploads are kept for 24 hours, and received media only while WhatsApp still has it.');
      }
      res.set('Content-Type', stored.mimetype);
      res.set('Content-Length', String(stored.size));
      if (stored.filename) res.set('Content-Disposition', contentDisposition(stored.filename));
      const stream = media.stream(stored);
      stream.on('error', () => res.destroy());
      stream.pipe(res);
    },
  }),
];
