import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { proto } from 'baileys';

import {
  ALICE,
  ALICE_LID,
  BOB,
  BOB_LID,
  GROUP,
  normalised,
  OWN,
  raw,
  STRANGER_LID,
  T,
} from './normalise-fixtures.js';
import { staticNormaliseContext } from './static-normalise-context.js';

describe('normaliseMessage: messages as WhatsApp sends them', () => {
  it('unwraps a disappearing (ephemeral) reply', async () => {
    const message = raw(
      { remoteJid: ALICE, fromMe: false, id: 'EPH1' },
      {
        ephemeralMessage: {
          message: {
            extendedTextMessage: {
              text: 'vanishes',
              contextInfo: { stanzaId: 'ORIG', participant: OWN, quotedMessage: { conversation: 'orig' }, mentionedJid: [OWN] },
            },
          },
        },
      },
    );
    const data = await normalised(message);
    assert.equal(data.kind, 'text');
    assert.equal(data.text, 'vanishes');
    assert.equal(data.quoted_id, 'ORIG');
    assert.deepEqual(data.mentions, [OWN]);
  });

  it('unwraps view-once media', async () => {
    const message = raw(
      { remoteJid: ALICE, fromMe: false, id: 'VO1' },
      { viewOnceMessageV2: { message: { imageMessage: { mimetype: 'image/jpeg', caption: 'once', fileLength: 321, viewOnce: true } } } },
    );
    const data = await normalised(message);
    assert.equal(data.kind, 'image');
    assert.equal(data.caption, 'once');
    assert.deepEqual(data.media, { media_id: 'r_VO1', mimetype: 'image/jpeg', filename: null, size: 321, seconds: null });
  });

  it('unwraps a document with caption whose file name is only in the title', async () => {
    const message = raw(
      { remoteJid: ALICE, fromMe: false, id: 'DOC1' },
      { documentWithCaptionMessage: { message: { documentMessage: { mimetype: 'text/plain', title: 'notes.txt', caption: 'read me' } } } },
    );
    const data = await normalised(message);
    assert.equal(data.kind, 'document');
    assert.equal(data.caption, 'read me');
    assert.equal(data.media?.filename, 'notes.txt');
  });

  it('unwraps what our other device sent (deviceSentMessage)', async () => {
    const message = raw(
      { remoteJid: ALICE, fromMe: true, id: 'DSM1' },
      { deviceSentMessage: { destinationJid: ALICE, message: { conversation: 'from desktop' } } },
    );
    const data = await normalised(message);
    assert.equal(data.text, 'from desktop');
    assert.equal(data.from_me, true);
  });

  it('an edit as a bare protocol message, replacing a caption', async () => {
    const message = raw(
      { remoteJid: ALICE, fromMe: false, id: 'ED2' },
      {
        protocolMessage: {
          type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
          key: { remoteJid: ALICE, fromMe: true, id: 'IMG9' },
          editedMessage: { imageMessage: { caption: 'better caption' } },
          timestampMs: T * 1000,
        },
      },
    );
    const data = await normalised(message);
    assert.equal(data.kind, 'edit');
    assert.equal(data.target_id, 'IMG9');
    assert.equal(data.caption, 'better caption');
    assert.equal(data.text, 'better caption');
  });

  it('a revoke in a group', async () => {
    const message = raw(
      { remoteJid: GROUP, fromMe: false, id: 'REV1', participant: BOB },
      { protocolMessage: { type: proto.Message.ProtocolMessage.Type.REVOKE, key: { remoteJid: GROUP, fromMe: true, id: 'OLD1' } } },
    );
    const data = await normalised(message);
    assert.equal(data.kind, 'delete');
    assert.equal(data.target_id, 'OLD1');
    assert.equal(data.sender, BOB);
  });

  it('live location and the first of several contacts', async () => {
    const live = await normalised(
      raw({ remoteJid: ALICE, fromMe: false, id: 'LL1' }, { liveLocationMessage: { degreesLatitude: 1.5, degreesLongitude: -2.25, caption: 'omw' } }),
    );
    assert.equal(live.kind, 'location');
    assert.deepEqual(live.location, { latitude: 1.5, longitude: -2.25, name: null, address: null });
    assert.equal(live.caption, 'omw');

    const contacts = await normalised(
      raw(
        { remoteJid: ALICE, fromMe: false, id: 'CA1' },
        {
          contactsArrayMessage: {
            displayName: '2 contacts',
            contacts: [
              { displayName: 'Carol', vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Carol\nTEL;type=CELL:+1 555 010 0000\nEND:VCARD' },
              { displayName: 'Dave', vcard: 'BEGIN:VCARD\nFN:Dave\nEND:VCARD' },
            ],
          },
        },
      ),
    );
    assert.equal(contacts.kind, 'contact');
    assert.equal(contacts.contact?.name, 'Carol');
    assert.equal(contacts.contact?.phone, '+15550100000');
  });

  it('announcement-group poll (v2)', async () => {
    const data = await normalised(
      raw(
        { remoteJid: GROUP, fromMe: false, id: 'PV2', participant: BOB },
        { pollCreationMessageV2: { name: 'Q', options: [{ optionName: 'a' }, { optionName: 'b' }], selectableOptionsCount: 2 } },
      ),
    );
    assert.deepEqual(data.poll, { question: 'Q', options: ['a', 'b'], multiple: true });
  });

  describe('LID addressing', () => {
    it('1:1 from a LID with the phone number sent along: chat and sender are the phone jid', async () => {
      const message = raw({ remoteJid: ALICE_LID, remoteJidAlt: ALICE, fromMe: false, id: 'LID1', addressingMode: 'lid' }, { conversation: 'hi' });
      const data = await normalised(message, staticNormaliseContext({ ownJid: OWN }));
      assert.equal(data.chat, ALICE);
      assert.equal(data.sender, ALICE);
      assert.equal(data.sender_phone, '+4917612345678');
    });

    it('1:1 from a LID whose phone number Baileys has mapped', async () => {
      const data = await normalised(raw({ remoteJid: ALICE_LID, fromMe: false, id: 'LID2' }, { conversation: 'hi' }));
      assert.equal(data.chat, ALICE);
      assert.equal(data.sender_phone, '+4917612345678');
    });

    it('1:1 from a LID nobody has mapped: the LID stays, the phone is unknown', async () => {
      const data = await normalised(raw({ remoteJid: STRANGER_LID, fromMe: false, id: 'LID3' }, { conversation: 'hi' }));
      assert.equal(data.chat, STRANGER_LID);
      assert.equal(data.sender, STRANGER_LID);
      assert.equal(data.sender_phone, null);
      assert.equal(data.sender_name, 'Alice');
    });

    it('group message from a LID participant, with and without participantAlt', async () => {
      const withAlt = await normalised(
        raw({ remoteJid: GROUP, participant: BOB_LID, participantAlt: BOB, fromMe: false, id: 'GL1' }, { conversation: 'x' }),
      );
      assert.equal(withAlt.sender, BOB);
      assert.equal(withAlt.sender_phone, '+447700900123');
      assert.equal(withAlt.chat, GROUP);
      assert.equal(withAlt.chat_name, 'Family');

      const unmapped = await normalised(raw({ remoteJid: GROUP, participant: BOB_LID, fromMe: false, id: 'GL2' }, { conversation: 'x' }));
      assert.equal(unmapped.sender, BOB_LID);
      assert.equal(unmapped.sender_phone, null);
    });

    it('our own message to a LID chat does not take our own number for the peer', async () => {
      // For messages from our other devices Baileys can put our own phone number in remoteJidAlt.
      const message = raw({ remoteJid: ALICE_LID, remoteJidAlt: OWN, fromMe: true, id: 'OWNLID' }, { conversation: 'sent' });
      const data = await normalised(message);
      assert.equal(data.chat, ALICE, 'the peer comes from the LID mapping');
      assert.equal(data.sender, OWN);
    });
  });
});
