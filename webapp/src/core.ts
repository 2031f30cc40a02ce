// Types of the WASM core's JavaScript API (client-core/wasm/API.md) and its
// loader. The core owns the replica and all data logic; the page only moves
// bytes and renders plain values. Errors come back as values, never thrown.

export interface CoreError {
  code: number;
  message: string;
}
export type Fallible<T> = T | { error: CoreError };

export interface Member {
  id: string;
  name: string;
  role: string;
}
export interface Meeting {
  id: string;
  title: string;
  date: string;
  time: string;
  venue: string;
  kind: string;
  status: string;
}
export interface Item {
  id: string;
  meeting: string;
  number: string;
  title: string;
  pages: string;
  description: string;
  exempt: boolean;
}
export interface Question {
  id: string;
  meeting: string;
  item: string;
  author: string;
  target: string;
  section: string;
  body: string;
  status: string;
  createdAt: number;
}
export type SyncState = 'offline' | 'connecting' | 'syncing' | 'synced';

export interface FrameResult {
  frames: Uint8Array[];
  changed: boolean;
  error?: CoreError;
  // Remote changes this replica refused, in plain words (a rule was broken).
  rejected?: string[];
}

export interface Client {
  save(): Fallible<{ bytes: Uint8Array }>;
  deviceId(): string;
  members(): Fallible<Member[]>;
  meetings(): Fallible<Meeting[]>;
  items(meetingId: string): Fallible<Item[]>;
  questions(meetingId: string): Fallible<Question[]>;
  signedInMember(): string;
  signIn(memberId: string): Fallible<Record<string, never>>;
  draftQuestion(itemId: string, body: string, nowMs: number): Fallible<{ id: string }>;
  pendingCount(): number;
  syncState(): SyncState;
  onOpen(): Uint8Array[];
  onFrame(frame: Uint8Array, nowMs: number): FrameResult;
  onClose(): void;
  flush(): Uint8Array[];
  delete(): void;
}

export interface Core {
  createClient(): Fallible<{ client: Client }>;
  openClient(bytes: Uint8Array): Fallible<{ client: Client }>;
}

// errc::corrupt_replica in client-core/include/packline/result.hpp.
export const CORRUPT_REPLICA = 13;

export function isError(v: unknown): v is { error: CoreError } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'error' in v
    && (v as { error: unknown }).error != null;
}

// A list query: the rows, or none and the error reported.
export function rows<T>(r: Fallible<T[]>, report: (e: CoreError) => void): T[] {
  if (isError(r)) {
    report(r.error);
    return [];
  }
  return r;
}

// Loads core/packline_core.mjs next to the page. Not bundled by Vite (it is a
// prebuilt Emscripten module in public/core/); the .wasm is located beside it.
export async function loadCore(): Promise<Core> {
  const url = new URL('core/packline_core.mjs', document.baseURI).href;
  const mod = await import(/* @vite-ignore */ url);
  const factory = (mod.default ?? mod.createPacklineCore) as (opts: object) => Promise<Core>;
  return factory({ locateFile: (path: string) => new URL(path, url).href });
}
