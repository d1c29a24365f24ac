/** Schemas of `/v1/media`. */
import { Type } from '@sinclair/typebox';
import { Strict } from './common.js';

export const Binary = Type.String({ format: 'binary' });
export const FilenameHeader = Type.String();
export const MediaIdParams = Strict({ media_id: Type.String() });
export const UploadedMedia = Strict({ media_id: Type.String(), mimetype: Type.String(), size: Type.Integer({ minimum: 1 }) });
