/** Shapes of the configuration collections: tags, campaigns, lessons, triggers. */
import type { ConveYourRecord } from '../../../../functions/conveyour/types.js';
import { refId, tagName, type RecordSeed, type ShapeContext } from './context.js';
import {
  ANSWERS, CAMPAIGN_STATUSES, CAMPAIGN_SUFFIXES, CAMPAIGN_WORDS, DELAY_UNITS, DEPARTMENTS, ITEM_TYPES,
  LESSON_TOPICS, QUESTIONS, TAG_COLORS, TIMEZONES, TRIGGER_EVENTS,
} from './vocabulary.js';

export function tag(seed: RecordSeed): ConveYourRecord {
  return {
    _id: seed.id,
    created_at: seed.createdSec,
    updated_at: seed.updatedSec,
    name: tagName(seed.index),
    d: { color: seed.version.pick(TAG_COLORS), description: seed.version.chance(0.5) ? `Used by ${seed.fixed.pick(DEPARTMENTS)}` : '' },
  };
}

export function campaign(seed: RecordSeed): ConveYourRecord {
  const { fixed, version } = seed;
  const name = `${fixed.pick(CAMPAIGN_WORDS)} ${fixed.pick(CAMPAIGN_SUFFIXES)}`;
  return {
    _id: seed.id,
    created_at: seed.createdSec,
    updated_at: seed.updatedSec,
    d: {
      name,
      status: seed.ordinal === 0 ? 'draft' : version.pick(CAMPAIGN_STATUSES),
      description: `${name}: ${version.between(3, 12)} lessons over ${version.between(1, 6)} weeks`,
      settings: {
        timezone: fixed.pick(TIMEZONES),
        send_window: { start: `${fixed.between(7, 10)}:00`, end: `${fixed.between(16, 20)}:00` },
        channels: fixed.chance(0.5) ? ['sms', 'email'] : [fixed.chance(0.5) ? 'sms' : 'email'],
      },
      stats: { enrolled: seed.ordinal * 40 + version.int(40), completed: seed.ordinal * 20 + version.int(20) },
    },
  };
}

function lessonItem(type: string, index: number, version: RecordSeed['version']): Record<string, unknown> {
  const title = `${index + 1}. ${version.pick(LESSON_TOPICS)}`;
  switch (type) {
    case 'video':
      return { type, title, url: `https://videos.example.com/${version.hex(10)}.mp4`, duration_seconds: version.between(30, 600) };
    case 'question':
      return { type, title, question: version.pick(QUESTIONS), options: version.sample(ANSWERS, 3), answer: 0 };
    case 'poll':
      return { type, title, options: ['👍', '👎', '🤷'], anonymous: version.chance(0.5) };
    default:
      return { type, title, body: `<p>${version.pick(LESSON_TOPICS)} — read this before your next shift.</p>` };
  }
}

export function lesson(seed: RecordSeed, context: ShapeContext): ConveYourRecord {
  const { fixed, version } = seed;
  const topic = fixed.pick(LESSON_TOPICS);
  const items = [];
  const itemCount = version.between(2, 6);
  for (let i = 0; i < itemCount; i++) items.push(lessonItem(version.pick(ITEM_TYPES), i, version));
  return {
    _id: seed.id,
    created_at: seed.createdSec,
    updated_at: seed.updatedSec,
    campaign_id: refId(context, 'campaigns', seed.createdSec, fixed),
    d: {
      title: topic,
      slug: `${topic.toLowerCase().normalize('NFD').replace(/[^a-z0-9]+/g, '-')}-${seed.index}`,
      published: seed.ordinal > 0 || version.chance(0.6),
      version: seed.ordinal + 1,
      items,
    },
  };
}

export function trigger(seed: RecordSeed, context: ShapeContext): ConveYourRecord {
  const { fixed, version } = seed;
  const event = fixed.pick(TRIGGER_EVENTS);
  const lessonId = refId(context, 'lessons', seed.createdSec, fixed);
  const actions: Array<Record<string, unknown>> = [];
  if (lessonId !== null) actions.push({ type: 'send_lesson', lesson_id: lessonId, channel: version.chance(0.5) ? 'sms' : 'email' });
  if (version.chance(0.4)) actions.push({ type: 'add_tag', tag: tagName(version.int(16)) });
  return {
    _id: seed.id,
    created_at: seed.createdSec,
    updated_at: seed.updatedSec,
    campaign_id: refId(context, 'campaigns', seed.createdSec, fixed),
    name: `When ${event.replace(/_/g, ' ')} #${seed.index}`,
    d: {
      enabled: version.chance(0.85),
      config: {
        event,
        delay: { amount: version.between(0, 48), unit: version.pick(DELAY_UNITS) },
        conditions: version.chance(0.5) ? [{ field: 'd.department', op: 'eq', value: version.pick(DEPARTMENTS) }] : [],
        actions,
      },
    },
  };
}
