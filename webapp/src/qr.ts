// Draws a QR code of a text (an invite link) on a canvas with the
// qrcode-generator library, loaded only when the clerk makes an invite.
// Canvas pixels, no markup and no inline script: fits the app's strict CSP.

import { h } from './dom';

// Pixels per module and the quiet zone (4 modules, as the standard asks).
const MODULE_PX = 5;
const QUIET = 4;

export async function qrCanvas(text: string, label: string): Promise<HTMLCanvasElement> {
  const { default: qrcode } = await import('qrcode-generator');
  const qr = qrcode(0, 'M'); // smallest version that holds the text; medium error correction
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  const side = (n + 2 * QUIET) * MODULE_PX;
  const canvas = h('canvas', { width: side, height: side, class: 'qr', role: 'img', 'aria-label': label });
  const g = canvas.getContext('2d');
  if (!g) return canvas;
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, side, side);
  g.fillStyle = '#000000';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) g.fillRect((c + QUIET) * MODULE_PX, (r + QUIET) * MODULE_PX, MODULE_PX, MODULE_PX);
    }
  }
  return canvas;
}
