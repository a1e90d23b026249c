/**
 * Words the synthetic records are made of. Names mix scripts and diacritics on purpose
 * (José, Zoë, Łukasz, 山田, Ørsted...) so every consumer is tested with real UTF-8;
 * each has an ASCII form for e-mail addresses.
 */

/** [display, ascii] */
export const FIRST_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['José', 'jose'], ['Zoë', 'zoe'], ['Łukasz', 'lukasz'], ['Søren', 'soren'], ['François', 'francois'],
  ['Björn', 'bjorn'], ['Chloé', 'chloe'], ['Ana', 'ana'], ['Mohammed', 'mohammed'], ['Aiko', 'aiko'],
  ['Priya', 'priya'], ['Liam', 'liam'], ['Olivia', 'olivia'], ['Noah', 'noah'], ['Emma', 'emma'],
  ['Mateo', 'mateo'], ['Sofía', 'sofia'], ['Chidi', 'chidi'], ['Ngozi', 'ngozi'], ['Yuki', 'yuki'],
  ['Дмитрий', 'dmitry'], ['Αλέξανδρος', 'alexandros'], ['Siobhán', 'siobhan'], ['Þórunn', 'thorunn'],
  ['Nguyễn', 'nguyen'], ['Ahmet', 'ahmet'], ['Grace', 'grace'], ['Daniel', 'daniel'], ['Mia', 'mia'],
  ['Lucas', 'lucas'], ['Hannah', 'hannah'], ['Ethan', 'ethan'], ['太郎', 'taro'], ['Fatima', 'fatima'],
];

export const LAST_NAMES: ReadonlyArray<readonly [string, string]> = [
  ['García', 'garcia'], ['Ørsted', 'orsted'], ['山田', 'yamada'], ['Müller', 'muller'], ["O'Brien", 'obrien'],
  ['Kowalski', 'kowalski'], ['Smith', 'smith'], ['Johnson', 'johnson'], ['Nakamura', 'nakamura'],
  ['Okafor', 'okafor'], ['Patel', 'patel'], ['Dubois', 'dubois'], ['Rossi', 'rossi'], ['Silva', 'silva'],
  ['Andersson', 'andersson'], ['Kim', 'kim'], ['Lee', 'lee'], ['Brown', 'brown'], ['Wilson', 'wilson'],
  ['Şahin', 'sahin'], ['Fernández', 'fernandez'], ['Nowak', 'nowak'], ['Van der Berg', 'vanderberg'],
  ['Jones', 'jones'], ['Taylor', 'taylor'], ['Martin', 'martin'], ['Ivanova', 'ivanova'], ['Chen', 'chen'],
];

export const EMAIL_DOMAINS = ['example.com', 'example.org', 'acme.test', 'learners.example.net'];

export const DEPARTMENTS = ['Sales', 'Support', 'Operations', 'Engineering', 'Retail', 'Field Service', 'HR', 'Logistics'];

export const LOCATIONS = ['Austin, TX', 'São Paulo', 'Kraków', 'Tokyo', 'Reykjavík', 'Lagos', 'Montréal', 'Zürich', 'Pune', 'Denver, CO'];

export const TIMEZONES = ['America/Chicago', 'America/Sao_Paulo', 'Europe/Warsaw', 'Asia/Tokyo', 'Atlantic/Reykjavik', 'Africa/Lagos', 'America/Toronto', 'Europe/Zurich', 'Asia/Kolkata', 'America/Denver'];

export const LANGUAGES = ['en', 'es', 'pt', 'pl', 'ja', 'fr', 'de', 'is'];

export const JOB_TITLES = ['Associate', 'Team Lead', 'Store Manager', 'Technician', 'Coordinator', 'Specialist', 'Trainee', 'Director'];

export const TAG_WORDS = [
  'new-hire', 'onboarding', 'vip', 'at-risk', 'certified', 'manager', 'night-shift', 'remote', 'bilingual',
  'safety', 'compliance', 'pilot-program', 'q3-cohort', 'needs-follow-up', 'champion', 'café-team',
];

export const TAG_COLORS = ['#e53935', '#8e24aa', '#3949ab', '#039be5', '#00897b', '#7cb342', '#fdd835', '#fb8c00', '#6d4c41'];

export const EVENT_NAMES = [
  'lesson_started', 'lesson_completed', 'question_answered', 'message_clicked', 'campaign_enrolled',
  'campaign_completed', 'points_awarded', 'login', 'custom:store_visit', 'custom:badge_earned',
];

export const EVENT_SOURCES = ['sms', 'email', 'web', 'app', 'api'];

export const CAMPAIGN_WORDS = ['Onboarding', 'Safety', 'Product', 'Leadership', 'Compliance', 'Customer Care', 'Holiday Rush', 'Welcome'];

export const CAMPAIGN_SUFFIXES = ['Basics', 'Week 1', 'Refresher', '2.0', 'Bootcamp', 'Essentials', 'Deep Dive', '— Español'];

export const CAMPAIGN_STATUSES = ['draft', 'active', 'active', 'active', 'paused', 'archived'];

export const LESSON_TOPICS = [
  'Greeting customers', 'Handling returns', 'Forklift safety', 'Data privacy 101', 'Closing a sale',
  'Escalations', 'Inventory counts', 'Café hygiene', 'Giving feedback', 'Time tracking', 'Fire drills',
  'Upselling with empathy', 'Conflict resolution', 'Shift handover',
];

export const QUESTIONS = [
  'What is the first thing you say to a customer?', 'Which form do you use for a return?',
  'How many points of contact must a forklift operator keep?', 'Who may see a customer record?',
  'When do you escalate to a manager?', 'What temperature must the fridge stay under?',
  '¿Cuál es el primer paso?', 'Qual é a regra de ouro?',
];

export const ANSWERS = ['A', 'B', 'C', 'D', 'Always', 'Never', 'Only with approval', 'Under 5 °C', 'Sí', 'Não sei 🤔'];

export const COMMENTS = [
  'Great lesson 👍', 'Too long, but useful', 'Loved the video 🎉', 'Could we get this in Spanish?',
  'Très utile, merci !', 'わかりやすかったです', 'Need more examples', 'Done on my break ☕', '',
];

export const TRIGGER_EVENTS = ['contact_created', 'tag_added', 'lesson_completed', 'campaign_enrolled', 'date_reached', 'custom_event'];

export const DELAY_UNITS = ['minutes', 'hours', 'days'];

export const MESSAGE_CHANNELS = ['sms', 'email'];

export const BOUNCE_REASONS = ['mailbox_full', 'invalid_number', 'blocked', 'unknown_user'];

export const TRIGGER_RESULTS = ['success', 'success', 'success', 'skipped', 'failed'];

export const ITEM_TYPES = ['video', 'question', 'text', 'poll'];

const LOREM_BASE =
  'Lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore ' +
  'magna aliqua Ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo ';

let lorem = LOREM_BASE;

/** ASCII filler of exactly `length` characters starting at a pseudo-random offset. */
export function loremText(length: number, offset: number): string {
  while (lorem.length < length + LOREM_BASE.length) lorem += lorem;
  const start = offset % LOREM_BASE.length;
  return lorem.slice(start, start + length);
}
