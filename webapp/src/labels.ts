// Plain-words labels for values the core returns as codes.

import { nowMs } from './clock';

const ROLES: Record<string, string> = {
  chair: 'Chair',
  vice_chair: 'Vice-chair',
  member: 'Panel member',
  independent_member: 'Independent member',
  clerk: 'Clerk',
  officer: 'Officer',
};

const STATUSES: Record<string, string> = {
  draft: 'Draft',
  submitted: 'Submitted',
  consolidated: 'Consolidated',
  asked: 'Asked',
  answered: 'Answered',
  withdrawn: 'Withdrawn',
  held_over: 'Held over',
  answered_in_writing: 'Answered in writing',
  open: 'Open',
  closed: 'Closed',
};

function humanise(code: string): string {
  const s = code.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export const roleLabel = (r: string): string => ROLES[r] ?? humanise(r);
export const statusLabel = (s: string): string => STATUSES[s] ?? humanise(s);

export function dateLabel(d: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d);
  if (!m) return d;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return date.toLocaleDateString('en-GB', {
    weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC',
  });
}

export function pagesLabel(p: string): string {
  if (!p) return '';
  return /[-–,]/.test(p) ? `Pages ${p.replace('-', '–')}` : `Page ${p}`;
}

export function timeAgo(ms: number, now = nowMs()): string {
  if (!ms) return '';
  const d = new Date(ms);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  const t = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return sameDay ? `today ${t}` : `${d.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })} ${t}`;
}

export const CONN_LABELS = {
  offline: 'Offline',
  connecting: 'Connecting…',
  syncing: 'Syncing…',
  synced: 'Synced',
} as const;

// Sections and targets of the panel's question lists, as the packs print them.
export const SECTIONS = ['In quarter', 'Quarterly report', 'Finance'] as const;
export const TARGETS = ['PCC', 'Chief Constable', 'Chief Finance Officer', 'Chief Executive'] as const;

export const VISIBILITY_LABELS = {
  private: 'Only me',
  priority: 'The leads of a priority',
  panel: 'The whole panel',
} as const;
