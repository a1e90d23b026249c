/**
 * The catalog of ConveYour collections. `lesson_transcripts` is a hybrid: the contacts
 * updated in the window, then each contact's transcripts (contactsLessonTranscripts, with
 * `con_id`), each record with the contact embedded as `contact`.
 */
import { CodedError } from '../errors/coded.js';

export const COLLECTIONS = [
  'campaigns',
  'contacts',
  'events',
  'lessons',
  'message_reports',
  'tags',
  'triggers',
  'trigger_logs',
  'lesson_transcripts',
] as const;

export type CollectionName = (typeof COLLECTIONS)[number];

export const TRANSCRIPTS: CollectionName = 'lesson_transcripts';

const DESCRIPTIONS: Record<CollectionName, string> = {
  campaigns: 'entire campaign configuration',
  contacts: 'almost all data stored on each contact',
  events: 'feed of campaign and custom events for a learner',
  lessons: 'entire JSON configuration of each lesson',
  message_reports: 'send, delivery and bounce events of each outbound message',
  tags: 'tags used on messages',
  triggers: 'entire JSON configuration of each trigger (part of a campaign)',
  trigger_logs: 'which trigger ran on which contact',
  lesson_transcripts: 'lesson transcripts per contact, the contact embedded (hybrid of contacts + per-contact queries)',
};

export function isCollectionName(value: string): value is CollectionName {
  return (COLLECTIONS as readonly string[]).includes(value);
}

export function describeCollection(name: CollectionName): string {
  return DESCRIPTIONS[name];
}

/** Fails with a message that lists what would be valid. */
export function parseCollectionName(value: string, inputName = 'collection'): CollectionName {
  if (isCollectionName(value)) return value;
  throw new UnknownCollectionError(value, inputName);
}

/** A collection name that ConveYour does not have; the message lists the valid ones. */
export class UnknownCollectionError extends CodedError {
  readonly code = 'UNKNOWN_COLLECTION';
  override name = 'UnknownCollectionError';
  constructor(
    readonly value: string,
    readonly inputName: string,
  ) {
    super(`${inputName} '${value}' is not a ConveYour collection; valid: ${COLLECTIONS.join(', ')}`);
  }
}
