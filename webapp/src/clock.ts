// The time this tablet shows and writes with: its own clock corrected by the
// server's (the welcome of protocol v4 says the server's time). The correction
// is anchored to the page's monotonic clock, so a device clock put right (or
// set wrong) while the page is open changes nothing here; until the first
// welcome it is the device's own clock. Single-threaded (the page).

// The device's clock is "wrong" past this: the member is told.
const TELL_AFTER_MS = 2 * 60 * 1000;

let anchor: { server: number; mono: number } | null = null;

export function nowMs(): number {
  return anchor ? anchor.server + (performance.now() - anchor.mono) : Date.now();
}

// The sync layer passed `sentMs` (= nowMs() at `mono`) with a welcome frame and
// the core answered that the server's clock was `offsetMs` ahead of it.
export function serverTimeWas(sentMs: number, mono: number, offsetMs: number): void {
  anchor = { server: sentMs + offsetMs, mono };
}

// How far the device's own clock is off (positive: ahead), once the server
// has said its time; 0 before.
export function deviceSkewMs(): number {
  return anchor ? Date.now() - nowMs() : 0;
}

// "This tablet's clock is 1 year ahead. …", or '' when it is right enough.
export function clockWarning(): string {
  const skew = deviceSkewMs();
  if (Math.abs(skew) <= TELL_AFTER_MS) return '';
  return `This tablet’s clock is ${amount(Math.abs(skew))} ${skew > 0 ? 'ahead' : 'behind'}. ` +
    'Set the date and time, then reopen Packline.';
}

function amount(ms: number): string {
  const minute = 60 * 1000, hour = 60 * minute, day = 24 * hour, year = 365 * day;
  const [n, unit] = ms >= 0.95 * year ? [Math.round(ms / year), 'year']
    : ms >= day ? [Math.round(ms / day), 'day']
    : ms >= hour ? [Math.round(ms / hour), 'hour']
    : [Math.round(ms / minute), 'minute'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

// Today's date (YYYY-MM-DD, UTC as the meetings' dates are compared) by the corrected clock.
export function today(): string {
  return new Date(nowMs()).toISOString().slice(0, 10);
}
