/** Shapes of the activity collections: events, message_reports, trigger_logs. */
import type { ConveYourRecord } from '../../../../functions/conveyour/types.js';
import { refId, type RecordSeed, type ShapeContext } from './context.js';
import { BOUNCE_REASONS, EVENT_NAMES, EVENT_SOURCES, MESSAGE_CHANNELS, TRIGGER_RESULTS } from './vocabulary.js';

export function event(seed: RecordSeed, context: ShapeContext): ConveYourRecord {
  const { fixed } = seed;
  const name = fixed.pick(EVENT_NAMES);
  const lessonScoped = name.startsWith('lesson') || name === 'question_answered';
  return {
    _id: seed.id,
    created_at: seed.createdSec,
    updated_at: seed.updatedSec,
    con_id: refId(context, 'contacts', seed.createdSec, fixed),
    campaign_id: refId(context, 'campaigns', seed.createdSec, fixed),
    event: name,
    d: {
      points: name === 'points_awarded' ? fixed.between(5, 100) : fixed.between(0, 10),
      source: fixed.pick(EVENT_SOURCES),
      ...(lessonScoped ? { lesson_id: refId(context, 'lessons', seed.createdSec, fixed) } : {}),
      ...(name.startsWith('custom:') ? { meta: { store: `#${fixed.between(1, 400)}`, note: fixed.chance(0.3) ? 'Visite réussie ✅' : null } } : {}),
    },
  };
}

export function messageReport(seed: RecordSeed, context: ShapeContext): ConveYourRecord {
  const { fixed, version } = seed;
  const channel = fixed.pick(MESSAGE_CHANNELS);
  const bounced = fixed.chance(0.07);
  const status = seed.ordinal === 0 ? 'send' : bounced ? 'bounced' : 'delivered';
  return {
    _id: seed.id,
    created_at: seed.createdSec,
    updated_at: seed.updatedSec,
    con_id: refId(context, 'contacts', seed.createdSec, fixed),
    message_id: fixed.hex(24),
    status,
    d: {
      channel,
      campaign_id: refId(context, 'campaigns', seed.createdSec, fixed),
      provider_id: `${channel === 'sms' ? 'SM' : 'EM'}${fixed.hex(16)}`,
      ...(channel === 'email' ? { subject: fixed.chance(0.5) ? 'Your next lesson is ready 🎓' : 'Reminder: finish your lesson' } : {}),
      ...(status === 'bounced' ? { error: version.pick(BOUNCE_REASONS) } : {}),
      attempts: seed.ordinal + 1,
    },
  };
}

export function triggerLog(seed: RecordSeed, context: ShapeContext): ConveYourRecord {
  const { fixed } = seed;
  const result = fixed.pick(TRIGGER_RESULTS);
  return {
    _id: seed.id,
    created_at: seed.createdSec,
    updated_at: seed.updatedSec,
    trigger_id: refId(context, 'triggers', seed.createdSec, fixed),
    con_id: refId(context, 'contacts', seed.createdSec, fixed),
    d: { result, duration_ms: fixed.between(3, 900), ...(result === 'failed' ? { error: 'contact has no phone number' } : {}) },
  };
}
