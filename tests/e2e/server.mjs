// Starts the real Packline server binary for the browser tests:
//   $PACKLINE_SERVER (default build/sync-server/packline-server)
//     --port P --data DIR --webapp $PACKLINE_WEBAPP (default webapp/dist) --demo
// waits for /healthz, and can SIGKILL and restart it on the same port and data
// directory. Server output goes to tests/e2e/artifacts/<name>.server.log.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const artifacts = join(repoRoot, 'tests', 'e2e', 'artifacts');

const HEALTH_TIMEOUT_MS = 20_000;

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export class PacklineServer {
  constructor({ name, port, dataDir, bin, webapp }) {
    this.name = name;
    this.port = port;
    this.dataDir = dataDir;
    this.bin = bin;
    this.webapp = webapp;
    this.proc = null;
    this.logPath = join(artifacts, `${name}.server.log`);
  }

  // A server on a free port with a fresh data directory, already healthy.
  static async start(name) {
    const bin = resolve(process.env.PACKLINE_SERVER ?? join(repoRoot, 'build/sync-server/packline-server'));
    const webapp = resolve(process.env.PACKLINE_WEBAPP ?? join(repoRoot, 'webapp/dist'));
    if (!existsSync(bin)) throw new Error(`server binary not found: ${bin} (build it, or set PACKLINE_SERVER)`);
    if (!existsSync(join(webapp, 'index.html')) || !existsSync(join(webapp, 'sw.js'))) {
      throw new Error(`built webapp not found in ${webapp} (run: npm --prefix webapp run build)`);
    }
    mkdirSync(artifacts, { recursive: true });
    rmSync(join(artifacts, `${name}.server.log`), { force: true });
    const dataDir = mkdtempSync(join(tmpdir(), `packline-e2e-${name}-`));
    const s = new PacklineServer({ name, port: await freePort(), dataDir, bin, webapp });
    await s.launch();
    return s;
  }

  get url() {
    return `http://127.0.0.1:${this.port}/`;
  }

  async launch() {
    if (this.proc) throw new Error('server already running');
    const log = createWriteStream(this.logPath, { flags: 'a' });
    log.write(`--- start ${new Date().toISOString()} port ${this.port} data ${this.dataDir}\n`);
    const proc = spawn(this.bin,
      ['--port', String(this.port), '--data', this.dataDir, '--webapp', this.webapp, '--demo'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.pipe(log, { end: false });
    proc.stderr.pipe(log, { end: false });
    this.proc = proc;
    this.exited = new Promise((res) => proc.on('exit', (code, signal) => {
      log.write(`--- exit code ${code} signal ${signal}\n`);
      if (this.proc === proc) this.proc = null;
      res({ code, signal });
    }));
    const deadline = Date.now() + HEALTH_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (!this.proc) throw new Error(`server exited before it was healthy:\n${this.logTail()}`);
      try {
        const r = await fetch(`${this.url}healthz`, { signal: AbortSignal.timeout(1000) });
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.kill();
    throw new Error(`server not healthy after ${HEALTH_TIMEOUT_MS} ms:\n${this.logTail()}`);
  }

  // SIGKILL: no shutdown path runs, as in a crash or power cut.
  async kill() {
    if (!this.proc) return;
    const exited = this.exited;
    this.proc.kill('SIGKILL');
    await exited;
  }

  async restart() {
    await this.kill();
    await this.launch();
  }

  async stop() {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  logTail(lines = 40) {
    try {
      return readFileSync(this.logPath, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  }
}
