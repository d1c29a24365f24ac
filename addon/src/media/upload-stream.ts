/**
 * Writing an upload to disk as it arrives: never whole in memory, decompressed (when sent with a
 * Content-Encoding) and counted after decompression, so a small compressed body cannot grow past
 * the limit on disk, and stopped the moment it crosses the size limit or the total quota.
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

export type UploadProblem = 'too_large' | 'quota_exceeded' | 'empty' | 'bad_encoding' | 'unsupported_encoding';

export class UploadError extends Error {
  constructor(
    readonly problem: UploadProblem,
    message: string,
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

function decoderFor(encoding: string | undefined): Transform | null {
  const name = (encoding ?? 'identity').trim().toLowerCase();
  switch (name) {
    case '':
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      throw new UploadError('unsupported_encoding', `Content-Encoding "${name}" is not supported; send the file uncompressed, or gzip, deflate or br.`);
  }
}

export interface UploadLimits {
  maxBytes: number;
  /** Asks for room for `bytes` more (false when the total quota would be exceeded). */
  reserve(bytes: number): boolean;
}

/**
 * Streams `body` (decoded per `encoding`) into `path`, durably. Resolves with the decoded size;
 * on any failure the partial file is the caller's to delete. Room taken with `reserve` is the
 * caller's to give back.
 */
export async function writeUpload(body: Readable, encoding: string | undefined, path: string, limits: UploadLimits): Promise<number> {
  const decoder = decoderFor(encoding);
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > limits.maxBytes) callback(new UploadError('too_large', 'too large'));
      else if (!limits.reserve(chunk.length)) callback(new UploadError('quota_exceeded', 'quota'));
      else callback(null, chunk);
    },
  });
  // The request itself stays out of the pipeline: destroying it on an error would also drop the
  // connection the error answer has to go out on.
  const source = new PassThrough();
  body.pipe(source);
  try {
    const stages = decoder ? [source, decoder, counter] : [source, counter];
    await pipeline([...stages, createWriteStream(path, { flags: 'wx', mode: 0o600 })]);
  } catch (error) {
    body.unpipe(source);
    body.resume();
    if (error instanceof UploadError) throw error;
    if (decoder && isZlibError(error)) throw new UploadError('bad_encoding', 'The body is not valid data for its Content-Encoding.');
    throw error;
  }
  if (received === 0) throw new UploadError('empty', 'The upload is empty: send the file bytes as the request body.');
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return received;
}

function isZlibError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return code.startsWith('Z_') || code.startsWith('ERR_BROTLI') || code === 'ERR__ERROR_FORMAT_PADDING_1';
}
