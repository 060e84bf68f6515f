import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { PORT } from './playwright.config';

const ROOT = path.resolve(__dirname, '..');
// Where scripts/release (or `cargo leptos build`, for debug) put the server: under
// CARGO_TARGET_DIR when that is set, in
// `release` for `E2E_PROFILE=release` (the build a partner deploys: scripts/test uses it).
const TARGET = process.env.CARGO_TARGET_DIR ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR) : path.join(ROOT, 'target');
const PROFILE = process.env.E2E_PROFILE === 'release' ? 'release' : 'debug';
const SERVER = path.join(TARGET, PROFILE, 'cmr-admin');

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

// Starts the real server binary (built by scripts/release) with a fresh database, waits
// until it prints its setup URL, and hands that URL to the tests. Returns the teardown.
export default async function globalSetup() {
  if (!fs.existsSync(SERVER)) throw new Error(`${SERVER} is missing: run ${PROFILE === 'release' ? 'scripts/release' : 'cargo leptos build'} first`);
  if (!(await portIsFree(PORT))) throw new Error(`port ${PORT} is taken: set E2E_PORT to a free one`);

  const database = `cmr_admin_e2e_${process.pid}_${Date.now()}`;
  const pgBase = process.env.E2E_PG_BASE ?? 'postgres://postgres@127.0.0.1:5432';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LISTEN_ADDR: `127.0.0.1:${PORT}`,
    LEPTOS_SITE_ADDR: `127.0.0.1:${PORT}`,
    LEPTOS_SITE_ROOT: 'target/site',
    LEPTOS_SITE_PKG_DIR: 'pkg',
    LEPTOS_OUTPUT_NAME: 'cmr-admin',
    DATABASE_URL: `${pgBase}/${database}`,
    RUST_LOG: 'info',
    // The suite reads what reached the demo sandbox, and signs in far more often than people.
    CMR_SANDBOX_INSPECT: '1',
    SIGN_IN_PER_IP_PER_MINUTE: '10000',
    SIGN_IN_PER_MINUTE: '10000',
  };
  delete env.CMR_API_KEY;
  delete env.PUBLIC_URL;

  fs.mkdirSync(path.join(__dirname, 'test-results'), { recursive: true });
  const log = fs.createWriteStream(path.join(__dirname, 'test-results', 'server.log'));
  const server = spawn(SERVER, [], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stderr.pipe(log);

  const setupUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server printed no setup URL in 60 s')), 60_000);
    let buffered = '';
    server.stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      buffered += chunk.toString();
      const sandbox = buffered.match(/CMR sandbox at (\S+)/);
      if (sandbox) process.env.SANDBOX_URL = sandbox[1];
      const match = buffered.match(/Create the first admin at: (\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited early with ${code}; see test-results/server.log`));
    });
  });
  process.env.SETUP_URL = setupUrl;
  process.env.E2E_DATABASE = database;

  return async () => {
    server.kill('SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (server.exitCode === null) server.kill('SIGKILL');
    try {
      execFileSync('psql', [`${pgBase}/postgres`, '-qc', `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`]);
    } catch {
      // A leftover test database is harmless; the next run uses a new name.
    }
  };
}
