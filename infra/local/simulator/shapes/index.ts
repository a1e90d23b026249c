/** The builder of each collection's record shape. */
import type { CollectionName } from '../../../../functions/conveyour/collections.js';
import { event, messageReport, triggerLog } from './activity.js';
import { campaign, lesson, tag, trigger } from './content.js';
import type { ShapeBuilder } from './context.js';
import { contact, lessonTranscript } from './people.js';

export type { RecordSeed, ShapeBuilder, ShapeContext } from './context.js';

export const SHAPES: Record<CollectionName, ShapeBuilder> = {
  tags: tag,
  campaigns: campaign,
  contacts: contact,
  lessons: lesson,
  triggers: trigger,
  events: event,
  message_reports: messageReport,
  trigger_logs: triggerLog,
  lesson_transcripts: lessonTranscript,
};
