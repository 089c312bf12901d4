// Shared helpers for the headless-Chromium tests: free ports, child processes (the gateway, the
// demo origin), a test CA made with the openssl CLI, /metrics parsing, Chromium through
// playwright-core (Debian's /usr/bin/chromium; never a downloaded browser).
//
// Every process a test starts is recorded here and killed by PID in cleanup(); only loopback
// addresses are used. Every wait is a bounded poll on a condition.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.SSEGATE_CHROMIUM || '/usr/bin/chromium';

// The flags the brief fixes for Chromium; playwright-core adds --headless and its own fresh
// --user-data-dir (a temporary profile per launch, removed on close).
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--ignore-certificate-errors',
];

const children = [];  // {name, proc, logPath}
let tmpDir = null;
let failed = false;

export function log(...args) {
  console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...args);
}

export function makeTempDir(prefix) {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return tmpDir;
}

export function markFailed() {
  failed = true;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls `cond` (sync or async) every `interval` ms until it returns a truthy value or `timeoutMs`
// passes; then throws with `what` and the last value/error seen.
export async function waitFor(what, cond, timeoutMs = 15000, interval = 100) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await cond();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
                      (last ? ` (last: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''));
    }
    await sleep(interval);
  }
}

// Starts `bin args` with stdout+stderr to DIR/NAME.log. Killed by PID in cleanup().
export function startProcess(name, bin, args) {
  const logPath = path.join(tmpDir, `${name}.log`);
  const fd = fs.openSync(logPath, 'a');
  const proc = spawn(bin, args, { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  const child = { name, proc, logPath, exited: null };
  proc.on('exit', (code, signal) => { child.exited = { code, signal }; });
  children.push(child);
  log(`started ${name} pid ${proc.pid}: ${bin} ${args.join(' ')}`);
  return child;
}

export function readLog(child) {
  try {
    return fs.readFileSync(child.logPath, 'utf8');
  } catch {
    return '';
  }
}

// GET http://127.0.0.1:port/path -> {status, headers, body}; rejects on a connection error.
export function httpGet(port, urlPath, timeoutMs = 3000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

// Prometheus text -> Map("name{labels}" -> number), labels as written by the gateway.
export function parseMetrics(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^(\S+?(?:\{[^}]*\})?)\s+(\S+)/);
    if (m) out.set(m[1], Number(m[2]));
  }
  return out;
}

export async function metrics(adminPort) {
  const r = await httpGet(adminPort, '/metrics');
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}`);
  return parseMetrics(r.body);
}

// Looks a series up by name and label subset, e.g. metric(m, 'ssegate_downstream_connections',
// {protocol: 'h2', tls: 'true'}); a name alone matches the series without labels. Sums matches.
export function metric(map, name, labels = null) {
  let sum = 0;
  let found = false;
  for (const [key, value] of map) {
    const brace = key.indexOf('{');
    const n = brace < 0 ? key : key.slice(0, brace);
    if (n !== name) continue;
    if (labels) {
      const ls = brace < 0 ? '' : key.slice(brace);
      if (!Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) continue;
    } else if (brace >= 0) {
      continue;
    }
    sum += value;
    found = true;
  }
  return found ? sum : undefined;
}

// Test CA + server certificate for 127.0.0.1/localhost (P-256), as
// tests/integration/harness/test_ca.cc makes them.
export function makeTestCa(dir) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const run = (args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
       '-subj', '/CN=ssegate browser test CA']);
  run(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
       '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf']);
  return { ca: path.join(dir, 'ca.pem'), cert: path.join(dir, 'server.pem'),
           key: path.join(dir, 'server.key') };
}

// The demo origin: /stream/{channel} with `id: <seq>`, Last-Event-ID honoured.
export async function startOrigin(bin, rate) {
  const port = await freePort();
  const child = startProcess('origin', bin, ['--listen', `127.0.0.1:${port}`, '--rate', String(rate),
                                             '--quiet']);
  await waitFor('the demo origin to answer /healthz', async () => {
    if (child.exited) throw new Error(`origin exited ${JSON.stringify(child.exited)}`);
    return (await httpGet(port, '/healthz')).status === 200;
  });
  return { child, port };
}

// ssegate with CONFIG.yaml in the temp dir; ready when the admin /readyz answers 200.
export async function startGateway(bin, yaml, adminPort) {
  const confPath = path.join(tmpDir, 'ssegate.yaml');
  fs.writeFileSync(confPath, yaml);
  const child = startProcess('ssegate', bin, ['-c', confPath, '--log-level', 'info']);
  child.confPath = confPath;
  await waitFor('ssegate /readyz 200', async () => {
    if (child.exited) throw new Error(`ssegate exited ${JSON.stringify(child.exited)}`);
    return (await httpGet(adminPort, '/readyz')).status === 200;
  }, 30000);
  return child;
}

function countMatches(text, re) {
  return (text.match(re) || []).length;
}

// Rewrites the gateway's config, sends SIGHUP and waits for "configuration reloaded".
export async function reloadGateway(gw, yaml) {
  const before = countMatches(readLog(gw), /configuration reloaded/g);
  fs.writeFileSync(gw.confPath, yaml);
  process.kill(gw.proc.pid, 'SIGHUP');
  await waitFor('ssegate to log "configuration reloaded"', () => {
    const text = readLog(gw);
    if (/reload (rejected|failed)/.test(text)) throw new Error('reload rejected:\n' + text.slice(-2000));
    return countMatches(text, /configuration reloaded/g) > before;
  }, 10000, 50);
}

export async function loadPlaywright() {
  const mod = await import('playwright-core');
  return mod.chromium ?? mod.default.chromium;
}

export async function launchChromium() {
  const chromium = await loadPlaywright();
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// Kills every process this test started (by PID: SIGTERM, then SIGKILL after 5 s), prints the
// tail of their logs on failure, and removes the temp dir unless the test failed.
export async function cleanup() {
  for (const c of children.slice().reverse()) {
    if (c.exited) continue;
    try {
      process.kill(c.proc.pid, 'SIGTERM');
    } catch {
      continue;
    }
    const deadline = Date.now() + 5000;
    while (!c.exited && Date.now() < deadline) await sleep(50);
    if (!c.exited) {
      try { process.kill(c.proc.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  for (const c of children) {
    // Both the gateway and the demo origin exit 0 on SIGTERM (ssegate after its drain).
    if (c.exited && c.exited.code !== 0) {
      console.error(`${c.name} (pid ${c.proc.pid}) exited ${JSON.stringify(c.exited)}, expected 0`);
      failed = true;
    }
    const text = readLog(c);
    // A sanitizer report makes the test fail even when every assertion held.
    if (/ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/.test(text)) {
      console.error(`${c.name}: sanitizer report in ${c.logPath}`);
      failed = true;
    }
  }
  if (failed) {
    for (const c of children) {
      const text = readLog(c);
      console.error(`----- ${c.name} (pid ${c.proc.pid}, exit ${JSON.stringify(c.exited)}) log tail -----`);
      console.error(text.split('\n').slice(-60).join('\n'));
    }
    if (tmpDir) console.error(`kept ${tmpDir}`);
  } else if (tmpDir) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  return failed;
}

// Runs `body`, then cleanup(); exit status 0 on success, 1 on a failure.
export async function runTest(name, body) {
  const timer = setTimeout(() => {
    console.error(`${name}: overall timeout`);
    markFailed();
    cleanup().finally(() => process.exit(1));
  }, Number(process.env.SSEGATE_BROWSER_TEST_TIMEOUT_MS || 150000));
  try {
    await body();
  } catch (e) {
    console.error(`${name}: FAILED: ${e && e.stack ? e.stack : e}`);
    markFailed();
  }
  const bad = await cleanup();
  clearTimeout(timer);
  console.log(`${name}: ${bad ? 'FAIL' : 'PASS'}`);
  process.exit(bad ? 1 : 0);
}
