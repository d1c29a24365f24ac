import express, { Router } from 'express';
import { isMediaId, type MediaStore } from '../../media/media-store.js';
import type { Sender } from '../../messaging/sender.js';
import { ApiError } from '../errors.js';
import { onlyQuery } from '../validate.js';

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

/** Mounted before the JSON body parser: uploads of any type arrive as raw bytes. */
export function mediaRoutes(media: MediaStore, sender: Sender): Router {
  const router = Router();
  const maxMb = Math.round(media.options.maxUploadBytes / (1024 * 1024));

  router.post(
    '/v1/media',
    (req, _res, next) => {
      const declared = Number(req.get('content-length'));
      if (Number.isFinite(declared) && declared > media.options.maxUploadBytes) {
        next(new ApiError(413, 'payload_too_large', `The file is larger than the add-on accepts (${maxMb} MB). Send a smaller file or raise the media upload limit in the add-on options.`));
        return;
      }
      next();
    },
    express.raw({ type: () => true, limit: media.options.maxUploadBytes }),
    async (req, res) => {
      onlyQuery(req.query, []);
      const mimetype = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (!MIMETYPE.test(mimetype)) {
        throw new ApiError(400, 'invalid_request', 'Send the file as the raw body with its Content-Type, e.g. "Content-Type: image/jpeg".');
      }
      const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (data.length === 0) throw new ApiError(400, 'invalid_request', 'The upload is empty: send the file bytes as the request body.');
      const saved = await media.saveUpload(data, mimetype, cleanFilename(req.get('x-filename')));
      res.json({ media_id: saved.media_id, mimetype: saved.mimetype, size: saved.size });
    },
  );

  router.get('/v1/media/:id', async (req, res) => {
    onlyQuery(req.query, []);
    const id = String(req.params.id);
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
  });

  return router;
}
