// A pack published in the import worker comes back as the changes the
// worker's copy of the replica made; the page's core takes them in
// (client.adoptOwn) a few at a time, yielding between, so the page keeps
// answering. A write on the page meanwhile first takes in the rest
// (finishAdopting, called by every write), so this tablet's own next change
// always comes after them.
import { isError, type Client } from './core';
import { nowMs } from './clock';

const perStep = 1;
let rest: (() => void) | null = null;

export function finishAdopting(): void {
  rest?.();
}

// Resolves to how many were taken in, and the core's reason when not all were
// (none: this tablet made a change of its own while the worker published).
export async function adoptAll(client: Client, changes: Uint8Array[], onProgress: (done: number, total: number) => void):
  Promise<{ adopted: number; error: string | null }> {
  let i = 0;
  let error: string | null = null;
  const upTo = (end: number) => {
    for (; i < Math.min(end, changes.length) && error === null; ++i) {
      const r = client.adoptOwn(changes[i], nowMs());
      if (isError(r)) {
        error = r.error.message;
        return;
      }
    }
  };
  rest = () => upTo(changes.length);
  try {
    while (i < changes.length && error === null) {
      upTo(i + perStep);
      onProgress(i, changes.length);
      // A task of its own for each step (a frame callback would stall in a hidden tab).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  } finally {
    rest = null;
  }
  return { adopted: i, error };
}
