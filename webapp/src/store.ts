// Persistence of the replica: the bytes from client.save() under one key in
// IndexedDB. Writes are serialised (one in flight, later requests coalesce) and
// always save the replica as it is when the write starts, so the newest state
// wins. A local draft is saved at once; sync traffic is saved after a short pause.
// A replica the core cannot open is never overwritten: it is kept under a backup key.
// Every write also keeps the copy it replaces (which opened, or was written by
// this page) under PREVIOUS: the last good state if the current one is damaged.

import { isError, type Client } from './core';

const DB_NAME = 'packline';
const STORE = 'replica';
const KEY = 'current';
const PREVIOUS = 'previous';
// Batches saves during a burst of incoming frames; local drafts bypass it.
const SAVE_DEBOUNCE_MS = 100;

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export class ReplicaStore {
  private constructor(private readonly db: IDBDatabase) {}

  static open(): Promise<ReplicaStore> {
    return new Promise((resolve, reject) => {
      const r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE);
      r.onsuccess = () => resolve(new ReplicaStore(r.result));
      r.onerror = () => reject(r.error);
      r.onblocked = () => reject(new Error('the storage is in use by another Packline tab'));
    });
  }

  async load(key = KEY): Promise<Uint8Array | null> {
    const tx = this.db.transaction(STORE, 'readonly');
    const v = await request(tx.objectStore(STORE).get(key));
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    return null;
  }

  // The copy the last write replaced (the last good state), or null.
  loadPrevious(): Promise<Uint8Array | null> {
    return this.load(PREVIOUS);
  }

  // keepPrevious: the current copy moves to PREVIOUS in the same transaction
  // (off when restoring from PREVIOUS after the current copy proved damaged).
  write(bytes: Uint8Array, key = KEY, keepPrevious = key === KEY): Promise<void> {
    return new Promise((resolve, reject) => {
      // 'strict': the write is on disk before we call the draft saved.
      const tx = this.db.transaction(STORE, 'readwrite', { durability: 'strict' });
      const os = tx.objectStore(STORE);
      if (keepPrevious) {
        const cur = os.get(KEY);
        cur.onsuccess = () => {
          if (cur.result !== undefined) os.put(cur.result, PREVIOUS);
          os.put(bytes, key);
        };
      } else {
        os.put(bytes, key);
      }
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('the write was aborted'));
    });
  }

  // Keeps unreadable replica bytes aside (never deleted by the app).
  async keepAside(bytes: Uint8Array): Promise<string> {
    const key = `unreadable-${new Date().toISOString()}`;
    await this.write(bytes, key);
    return key;
  }
}

// Whether the browser keeps this site's storage when space runs low.
export async function storagePersisted(): Promise<boolean> {
  try {
    return (await navigator.storage?.persisted?.()) ?? false;
  } catch {
    return false;
  }
}

// May wait for the member's answer: Firefox asks with a prompt.
export async function requestPersistentStorage(): Promise<boolean> {
  try {
    // Asked every start: resolves at once (true) where it was granted before.
    if (navigator.storage?.persist) return await navigator.storage.persist();
  } catch {
    // Not granted or not supported: the app still works, the browser may evict.
  }
  return false;
}

export class ReplicaSaver {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;

  private inFlight = 0;

  constructor(
    private readonly store: ReplicaStore,
    private readonly client: Client,
    private readonly onError: (message: string) => void,
    // true once everything asked for is on disk, false while a save is due.
    private readonly onStored: (stored: boolean) => void = () => {},
  ) {}

  saveSoon(): void {
    this.onStored(false);
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.saveNow().catch(() => {});
      }, SAVE_DEBOUNCE_MS);
    }
  }

  // Resolves when a save that started after this call is on disk.
  saveNow(): Promise<void> {
    this.onStored(false);
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.queued) return this.queued;
    this.inFlight++;
    const p = this.tail.then(() => {
      this.queued = null;
      return this.writeOnce();
    });
    this.queued = p;
    this.tail = p.catch(() => {}).then(() => {
      this.inFlight--;
      if (this.inFlight === 0 && this.timer === null) this.onStored(true);
    });
    return p;
  }

  private async writeOnce(): Promise<void> {
    const r = this.client.save();
    if (isError(r)) {
      this.onError(`Your changes could not be saved on this tablet: ${r.error.message}`);
      throw new Error(r.error.message);
    }
    try {
      // Copy: the core may hand out a view of its own memory.
      await this.store.write(r.bytes.slice());
      // Past the offline lease the locked copy replaces the previous one
      // too, so no copy on the tablet keeps the key that opens it.
      if (this.client.locked()) await this.store.write(r.bytes.slice(), PREVIOUS, false);
    } catch (e) {
      this.onError(`Your changes could not be saved on this tablet: ${describe(e)}`);
      throw e;
    }
  }
}

export function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e instanceof DOMException) return e.message;
  return String(e);
}
