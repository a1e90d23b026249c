/** Shapes of contacts and their lesson transcripts. */
import type { ConveYourRecord } from '../../../../functions/conveyour/types.js';
import { refId, tagName, type RecordSeed, type ShapeContext } from './context.js';
import {
  ANSWERS, COMMENTS, DEPARTMENTS, EMAIL_DOMAINS, FIRST_NAMES, JOB_TITLES, LANGUAGES, LAST_NAMES, LOCATIONS,
  QUESTIONS, TIMEZONES,
} from './vocabulary.js';

export function contact(seed: RecordSeed, context: ShapeContext): ConveYourRecord {
  const { fixed, version } = seed;
  const [first, firstAscii] = fixed.pick(FIRST_NAMES);
  const [last, lastAscii] = fixed.pick(LAST_NAMES);
  const employeeId = `E${(100000 + seed.index).toString()}`;
  const phone = `+1${fixed.between(201, 989)}${fixed.between(200, 999)}${fixed.between(1000, 9999)}`;
  const domain = fixed.pick(EMAIL_DOMAINS);
  const locationIndex = fixed.int(LOCATIONS.length);
  const lang = fixed.pick(LANGUAGES);
  const tags: string[] = [];
  const tagCount = version.int(4);
  for (let i = 0; i < tagCount; i++) {
    const tagIndex = context.refIndex('tags', seed.updatedSec, version);
    const name = tagIndex < 0 ? undefined : tagName(tagIndex);
    if (name !== undefined && !tags.includes(name)) tags.push(name);
  }
  return {
    _id: seed.id,
    created_at: seed.createdSec,
    updated_at: seed.updatedSec,
    d: {
      first_name: first,
      last_name: last,
      email: `${firstAscii}.${lastAscii}.${seed.index}@${domain}`,
      employee_id: employeeId,
      phone,
      title: version.pick(JOB_TITLES),
      department: version.pick(DEPARTMENTS),
      location: LOCATIONS[locationIndex],
      timezone: TIMEZONES[locationIndex],
      lang,
      points: seed.ordinal * 25 + version.int(25),
      lessons_completed: seed.ordinal + version.int(3),
      opted_in_sms: !fixed.chance(0.1),
      notes: version.chance(0.15) ? `Prefers ${version.chance(0.5) ? 'SMS 📱' : 'e-mail ✉️'}; ${first} asked for a call back` : '',
    },
    tags,
    status: version.chance(0.92) ? 'active' : 'inactive',
  };
}

export function lessonTranscript(seed: RecordSeed, context: ShapeContext): ConveYourRecord {
  const { fixed, version } = seed;
  const lessonId = refId(context, 'lessons', seed.createdSec, fixed);
  const triggerId = fixed.chance(0.7) ? refId(context, 'triggers', seed.createdSec, fixed) : null;
  const questionCount = fixed.between(1, 4);
  const answered = Math.min(questionCount, version.between(1, questionCount) + seed.ordinal);
  const answers = [];
  let correct = 0;
  for (let item = 0; item < answered; item++) {
    const isCorrect = version.chance(0.75);
    if (isCorrect) correct++;
    answers.push({ item, question: fixed.pick(QUESTIONS), answer: version.pick(ANSWERS), correct: isCorrect });
  }
  const progress = Math.round((answered / questionCount) * 100);
  return {
    _id: seed.id,
    created_at: seed.createdSec,
    updated_at: seed.updatedSec,
    con_id: seed.conId ?? null,
    lesson_id: lessonId,
    trigger: triggerId ?? 'manual',
    d: {
      answers,
      score: answered === 0 ? 0 : Math.round((correct / answered) * 100),
      progress,
      completed: progress === 100,
      attempts: seed.ordinal + 1,
      comment: version.pick(COMMENTS),
    },
  };
}
