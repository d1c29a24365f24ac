/**
 * The 400 messages a caller gets for bad input, straight from the route schemas: they name the field
 * and say what to fix.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../src/api/errors.js';
import { CreateAccountRequest } from '../../src/api/schema/accounts.js';
import { EventsQuery } from '../../src/api/schema/events.js';
import { EditRequest, PresenceRequest, SendRequest } from '../../src/api/schema/messages.js';
import { PairingCodeRequest } from '../../src/api/schema/session.js';
import { SimulatorIncoming } from '../../src/api/schema/simulator.js';
import { API_ROUTES, apiDocument } from '../../src/api/routes/index.js';
import { parseInput, prepareValidator, type InputPlace } from '../../src/api/validation.js';
import type { TSchema } from '@sinclair/typebox';

function refusal(schema: TSchema, value: unknown, place: InputPlace = 'body'): string {
  try {
    parseInput(schema, value, place);
  } catch (err) {
    assert.ok(err instanceof ApiError);
    assert.deepEqual([err.status, err.code], [400, 'invalid_request']);
    return err.message;
  }
  assert.fail(`${JSON.stringify(value)} was accepted`);
}

describe('request validation messages', () => {
  it('names unknown fields and lists the allowed ones', () => {
    assert.equal(refusal(PairingCodeRequest, { phone_number: '+4917612345678', extra: 1 }), 'Unknown field "extra". Allowed: phone_number.');
    assert.equal(
      refusal(PairingCodeRequest, { phone_number: '+4917612345678', extra: 1, more: 2 }),
      'Unknown fields "extra", "more". Allowed: phone_number.',
    );
    assert.equal(
      refusal(SimulatorIncoming, { from: '+15550000002', media: { mimetype: 'image/png', colour: 'red' } }),
      'Unknown field "media.colour". Allowed in "media": mimetype, filename, size, seconds.',
    );
    assert.equal(refusal(EventsQuery, { after: '1', page: '2' }, 'query'), 'Unknown query parameter "page". Allowed: after, limit, wait.');
  });

  it('says which type a field needs', () => {
    assert.equal(refusal(PairingCodeRequest, { phone_number: 491761234 }), '"phone_number" must be a string.');
    assert.equal(refusal(SendRequest, { to: '+4917612345678', type: 'location', latitude: '52', longitude: 13 }), '"latitude" must be a number.');
    assert.equal(refusal(SendRequest, { to: '+4917612345678', type: 'text', text: 'x', mentions: 'all' }), '"mentions" must be a list of strings.');
    assert.equal(refusal(SendRequest, { to: '+4917612345678', type: 'audio', media_id: 'u_1', voice: 'yes' }), '"voice" must be true or false.');
    assert.equal(refusal(PairingCodeRequest, [1, 2]), 'The request body must be a JSON object.');
    assert.equal(refusal(EventsQuery, { after: 'abc' }, 'query'), 'Query parameter "after" must be a whole number.');
  });

  it('explains missing, empty, too long and out-of-range values', () => {
    assert.match(refusal(PairingCodeRequest, undefined), /^"phone_number" is required\. The phone number of the WhatsApp account to link, with country code\.$/);
    assert.equal(refusal(SendRequest, { to: '+4917612345678', type: 'text', text: '  ' }), '"text" must not be empty.');
    assert.equal(refusal(PairingCodeRequest, { phone_number: '1'.repeat(65) }), '"phone_number" is longer than 64 characters.');
    assert.equal(refusal(EventsQuery, { wait: '61' }, 'query'), 'Query parameter "wait" must be between 0 and 60.');
    assert.equal(refusal(SendRequest, { to: '+4917612345678', type: 'poll', question: 'Q', options: ['one'] }), '"options" must hold 2 to 12 items.');
    assert.equal(refusal(SendRequest, { to: '+4917612345678', type: 'poll', question: 'Q', options: ['a', 'a'] }), '"options" must not repeat an item.');
  });

  it('takes the send type first, then checks only that type\'s fields', () => {
    assert.equal(refusal(SendRequest, { to: '+4917612345678' }), '"type" is required.');
    assert.match(refusal(SendRequest, { to: '+4917612345678', type: 'fax' }), /^"type" must be one of text, image, video, audio, document, sticker, location, contact, poll, reaction\.$/);
    assert.equal(
      refusal(SendRequest, { to: '+4917612345678', type: 'text', text: 'x', caption: 'y' }),
      'Unknown field "caption". Allowed: to, type, text, reply_to, mentions.',
    );
    assert.match(refusal(SendRequest, { to: '+4917612345678', type: 'image' }), /^"media_id" is required\./);
  });

  it('asks for exactly one of two names for the same field', () => {
    assert.equal(refusal(EditRequest, { chat: 'x', text: 'a', message: 'b' }), 'Give either "text" or "message", not both.');
    assert.equal(refusal(EditRequest, { chat: 'x' }), '"text" is required.');
    assert.equal(refusal(PresenceRequest, { state: 'dancing' }), '"state" must be one of composing, recording, paused, available, unavailable.');
  });

  it('explains the account id rule', () => {
    assert.match(refusal(CreateAccountRequest, { id: 'Office 1' }), /^"id" must be lower-case letters, digits and single dashes/);
    assert.deepEqual(parseInput(CreateAccountRequest, { id: 'office-1' }, 'body'), { id: 'office-1' });
  });

  it('fills in query defaults and converts numbers', () => {
    assert.deepEqual(parseInput(EventsQuery, { after: '7' }, 'query'), { after: 7, limit: 100, wait: 0 });
  });
});

describe('the route declarations', () => {
  it('refer only to schemas the document names', () => {
    const document = apiDocument('test');
    const names = new Set(Object.keys((document.components as { schemas: object }).schemas));
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    assert.ok(refs.length > 20);
    for (const ref of refs) assert.ok(names.has(ref.replace(/^.*\/([^/"]+)"$/, '$1')), ref);
  });

  it('all compile into validators', () => {
    for (const declared of API_ROUTES) {
      if (declared.params) prepareValidator(declared.params, 'path');
      if (declared.query) prepareValidator(declared.query, 'query');
      if (declared.body?.kind === 'json') prepareValidator(declared.body.schema, 'body');
    }
  });
});
