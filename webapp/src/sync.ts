// The one WebSocket to the server's /sync. The core decides what to send; this
// module only moves frames, reconnects with capped backoff, and follows the
// browser's online/offline events. Single-threaded (the page's event loop): every
// callback checks that its socket is still the current one.

import { nowMs, serverTimeWas } from './clock';
import type { Client, CoreError } from './core';

// Backoff between reconnects: short, because a panel meeting is the moment a
// tablet comes back online; capped at 2 s so a restarted server is found quickly.
const BACKOFF_MIN_MS = 200;
const BACKOFF_MAX_MS = 2000;
// A socket still connecting after this long is dropped and retried.
const CONNECT_TIMEOUT_MS = 5000;
// After this many failed attempts in a row the header says "Offline" instead of
// "Connecting…" (retries go on in the background).
const ATTEMPTS_BEFORE_OFFLINE = 3;

export type Link = 'offline' | 'connecting' | 'open';

export interface SyncEvents {
  // Materialised state changed (re-render) or sync state / pending count moved.
  onChange(changed: boolean): void;
  // A frame was handled: the replica may need saving.
  onFrameHandled(): void;
  // Remote changes the core refused (plain-words reasons).
  onRejected(reasons: string[]): void;
  onError(message: string): void;
  // The session ended with the core's error (e.g. the server refused this
  // device: a used invite, a removed member). Reconnects follow regardless.
  onSyncError?(e: CoreError): void;
}

export class SyncTransport {
  private ws: WebSocket | null = null;
  private link: Link = 'offline';
  private backoff = BACKOFF_MIN_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private started = false;
  private failures = 0;

  constructor(
    private readonly client: Client,
    private readonly events: SyncEvents,
    private readonly url = syncUrl(),
  ) {}

  get state(): Link {
    return this.link;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    window.addEventListener('offline', this.handleOffline);
    window.addEventListener('online', this.handleOnline);
    this.connect();
  }

  // Closes the socket and stops reconnecting (the client is handed on).
  stop(): void {
    if (!this.started) return;
    this.started = false;
    window.removeEventListener('offline', this.handleOffline);
    window.removeEventListener('online', this.handleOnline);
    this.clearRetry();
    this.drop();
  }

  // After a local change: push it now if the socket is ready.
  flush(): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.send(this.client.flush());
  }

  private readonly handleOffline = (): void => {
    this.clearRetry();
    this.drop();
  };

  private readonly handleOnline = (): void => {
    this.backoff = BACKOFF_MIN_MS;
    this.failures = 0;
    this.clearRetry();
    if (!this.ws) this.connect();
  };

  private connect(): void {
    if (this.ws) return;
    if (!navigator.onLine) {
      this.setLink('offline');
      return;
    }
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      console.warn('sync: no connection', e);
      this.events.onError('Could not reach the server. Your work is kept on this tablet and sent once the connection is back.');
      this.scheduleRetry();
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.setLink(this.failures >= ATTEMPTS_BEFORE_OFFLINE ? 'offline' : 'connecting');
    this.connectTimer = setTimeout(() => {
      if (this.ws === ws && ws.readyState === WebSocket.CONNECTING) {
        this.drop();
        this.scheduleRetry();
      }
    }, CONNECT_TIMEOUT_MS);

    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.clearConnectTimer();
      this.backoff = BACKOFF_MIN_MS;
      this.failures = 0;
      this.link = 'open';
      this.send(this.client.onOpen());
      this.events.onChange(false);
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (this.ws !== ws || !(ev.data instanceof ArrayBuffer)) return;
      const mono = performance.now();
      const sent = nowMs();
      const r = this.client.onFrame(new Uint8Array(ev.data), sent);
      if (r.clockOffset !== undefined) serverTimeWas(sent, mono, r.clockOffset);
      this.send(r.frames);
      this.events.onFrameHandled();
      if (r.rejected && r.rejected.length > 0) this.events.onRejected(r.rejected);
      // The server's time moves the dates shown (clock.ts): re-render then too.
      this.events.onChange(r.changed || r.clockOffset !== undefined);
      if (r.error) {
        console.warn(`sync: ${r.error.message} (code ${r.error.code}); reconnecting`);
        this.events.onSyncError?.(r.error);
        if (this.ws !== ws) return; // stopped by the handler
        // The core asks for a fresh session; the next one resumes where this stopped.
        this.drop();
        this.scheduleRetry();
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.drop();
      this.scheduleRetry();
    };
  }

  private send(frames: Uint8Array[]): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    for (const f of frames) ws.send(f);
  }

  // Forget the current socket (closing it if needed) and tell the core.
  private drop(): void {
    const ws = this.ws;
    this.clearConnectTimer();
    if (ws) {
      this.ws = null;
      ws.onopen = ws.onmessage = ws.onclose = null;
      try {
        ws.close();
      } catch {
        // already closed
      }
      this.client.onClose();
    }
    this.setLink('offline');
  }

  private scheduleRetry(): void {
    if (!this.started || this.retryTimer !== null || !navigator.onLine) return;
    const delay = this.backoff * (0.75 + Math.random() * 0.5);
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.failures++;
    this.setLink(this.failures >= ATTEMPTS_BEFORE_OFFLINE ? 'offline' : 'connecting');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private setLink(l: Link): void {
    this.link = l;
    this.events.onChange(false);
  }
}

function syncUrl(): string {
  const u = new URL('sync', document.baseURI);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.hash = '';
  u.search = '';
  return u.href;
}
