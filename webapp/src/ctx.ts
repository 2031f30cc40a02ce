// What every view gets from the app: the client, who is signed in, member
// names, and one way to write (core call → saved on the tablet → pushed), so
// each view stays about rendering. Views never decide a rule: the core refuses
// a write in plain words and the view shows that sentence.

import { isError, type Client, type CoreError, type Fallible, type Member, type Priority } from './core';

export interface View {
  // The view's root, built once per route.
  readonly root: HTMLElement;
  // Re-read from the core and refresh lists; forms keep what is typed in them.
  update(): void;
}

export interface Ctx {
  readonly client: Client;
  readonly me: string;
  readonly role: string;
  readonly members: Member[];
  name(memberId: string): string;
  // The core call's error in plain words ("<what>: <reason>"), or null when it
  // was written; a successful write is saved, pushed and re-rendered.
  write<T>(what: string, call: () => Fallible<T>): { ok: T } | { error: string };
  navigate(hash: string): void;
  // Resolves once the last write is on the tablet's disk.
  saved(): Promise<void>;
  readError(e: CoreError): void;
  // Priorities this member leads.
  myPriorities(): Priority[];
}

export function isChair(role: string): boolean {
  return role === 'chair' || role === 'vice_chair';
}
export function isPanelMember(role: string): boolean {
  return isChair(role) || role === 'member' || role === 'independent_member';
}

export function failed<T>(r: { ok: T } | { error: string }): r is { error: string } {
  return 'error' in r;
}

export { isError };
