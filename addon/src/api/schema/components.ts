/**
 * The schemas /openapi.json names under `components/schemas`. A route whose body or answer is one of
 * these objects refers to it by name; `Ref()` inside a schema must name one of them.
 */
import type { TSchema } from '@sinclair/typebox';
import { AccountList, AccountSummary, CreateAccountRequest, CreatedAccount, DeletedAccount } from './accounts.js';
import { ErrorBody } from './common.js';
import { ConnectionData, Event, EventPage, GroupData, Media, MessageData, MessageStatusData } from './events.js';
import { UploadedMedia } from './media.js';
import {
  DeleteRequest,
  Deleted,
  Edited,
  EditRequest,
  Group,
  Groups,
  NumberCheck,
  PresenceRequest,
  PresenceResult,
  ReadRequest,
  ReadResult,
  SendRequest,
  SentMessage,
} from './messages.js';
import { Health, LinkedNumber, PairingCode, PairingCodeRequest, Session } from './session.js';
import { OutboxEntry, SimulatorDisconnect, SimulatorIncoming, SimulatorScan } from './simulator.js';

export const COMPONENT_SCHEMAS: Readonly<Record<string, TSchema>> = {
  Error: ErrorBody,
  Health,
  Account: LinkedNumber,
  Session,
  PairingCodeRequest,
  PairingCode,
  Media,
  MessageData,
  MessageStatusData,
  ConnectionData,
  GroupData,
  Event,
  EventPage,
  UploadedMedia,
  SendRequest,
  SentMessage,
  EditRequest,
  DeleteRequest,
  Edited,
  Deleted,
  ReadRequest,
  ReadResult,
  PresenceRequest,
  PresenceResult,
  Group,
  Groups,
  NumberCheck,
  AccountSummary,
  AccountList,
  CreateAccountRequest,
  CreatedAccount,
  DeletedAccount,
  SimulatorScan,
  SimulatorIncoming,
  SimulatorDisconnect,
  OutboxEntry,
};
