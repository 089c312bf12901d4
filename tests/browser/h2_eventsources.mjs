// Headless Chromium opens 20 EventSources to ssegate over HTTP/2 + TLS (issue 3, point 4).
//
//   node h2_eventsources.mjs SSEGATE_BIN ORIGIN_BIN
//
// - The demo origin (5 events/s per channel) and ssegate with a TLS listener offering [h2, http1]
//   (test CA + server certificate made with the openssl CLI now), cors.allow_origins = the page's
//   origin, and an admin listener.
// - A page served by a tiny node server on another port (http://127.0.0.1:PAGE) opens 20
//   cross-origin EventSources: 19 on /events/ch{i % 16} (some share a channel) and 1 on
//   /resume/res, a route that exists to be removed and restored by reloads.
// - All 20 receive >= 5 events with consecutive ids. The browser saw protocol h2 and the CORS
//   header on every response; /metrics shows ONE h2+TLS downstream connection, no HTTP/1.1 one,
//   and 20 subscriptions (20 streams on one connection: HTTP/1.1 would cap at 6 per origin).
// - ssegate closes one stream: a reload removes the /resume route (its stream is drained with a
//   retry:, the other 19 streams stay), a second reload restores it before the EventSource's retry
//   delay is over. The EventSource reconnects with Last-Event-ID = the last id it saw, gets
//   X-Replay: hit, and its ids continue at lastId+1 with no gap and no duplicate (the ring replays
//   what it missed), still on the same single h2 connection.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import {
  freePort, httpGet, launchChromium, log, makeTempDir, makeTestCa, metric, metrics,
  reloadGateway, runTest, startGateway, startOrigin, waitFor,
} from './lib.mjs';

const [ssegateBin, originBin] = process.argv.slice(2);
if (!ssegateBin || !originBin) {
  console.error('usage: node h2_eventsources.mjs SSEGATE_BIN ORIGIN_BIN');
  process.exit(2);
}

const STREAMS = 20;
const MIN_EVENTS = 5;
const RESUME_INDEX = STREAMS - 1;
const RETRY_MS = 3000;  // the drained stream's retry: is RETRY_MS + jitter in [0, RETRY_MS]

function streamPath(i) {
  return i === RESUME_INDEX ? '/resume/res' : `/events/ch${i % 16}`;
}

function gatewayYaml({ gwPort, adminPort, originPort, pageOrigin, certs, withResume }) {
  const resumeRoute = `
  - path: /resume/{channel}         # removed by the first reload, restored by the second
    upstream: demo
    upstream_path: /stream/{channel}
    retry: ${RETRY_MS}ms
    linger: 60s                     # the channel and its ring outlive the removal
    replay: { max_events: 1000, max_age: 5m }`;
  return `workers: 2
listeners:
  - address: 127.0.0.1:${gwPort}
    protocols: [h2, http1]
    tls:
      certificate: ${certs.cert}
      private_key: ${certs.key}
admin:
  address: 127.0.0.1:${adminPort}
upstreams:
  demo:
    url: http://127.0.0.1:${originPort}
    reconnect: { initial_delay: 100ms, max_delay: 1s }
routes:
  - path: /events/{channel}
    upstream: demo
    upstream_path: /stream/{channel}
    retry: ${RETRY_MS}ms
    linger: 60s
    replay: { max_events: 1000, max_age: 5m }${withResume ? resumeRoute : ''}
cors:
  allow_origins: ["${pageOrigin}"]
limits:
  max_connections_per_user: 100
  max_connections_per_ip: 0
  drain_timeout: 200ms
`;
}

// The page: opens EventSources on demand and records, per source, every id, opens and errors.
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>ssegate h2 test</title>
<link rel="icon" href="data:,"></head>
<body><h1>ssegate EventSource test</h1><script>
window.sources = [];
window.openStreams = (urls) => {
  urls.forEach((url, i) => {
    const st = { url, ids: [], opens: 0, errors: 0, openAt: [], errorAt: [], badData: 0 };
    const es = new EventSource(url);
    es.onopen = () => { st.opens++; st.openAt.push(st.ids.length); };
    es.onerror = () => { st.errors++; st.errorAt.push(st.ids.length); };
    es.onmessage = (e) => {
      st.ids.push(Number(e.lastEventId));
      try {
        const d = JSON.parse(e.data);
        if (String(d.seq) !== e.lastEventId) st.badData++;
      } catch (err) { st.badData++; }
    };
    st.es = es;
    window.sources[i] = st;
  });
};
window.snapshot = () => window.sources.map((s) => ({
  url: s.url, ids: s.ids, opens: s.opens, errors: s.errors, openAt: s.openAt, errorAt: s.errorAt,
  badData: s.badData, readyState: s.es.readyState }));
</script></body></html>`;

function startPageServer(port) {
  return new Promise((resolve, reject) => {
    const srv = http.createServer((req, res) => {
      if (req.url === '/' || req.url === '/index.html') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(PAGE);
      } else {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found\n');
      }
    });
    srv.on('error', reject);
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

// Ids that go up by exactly one each time (the demo origin numbers a channel's events 0, 1, ...).
function checkConsecutive(label, ids) {
  for (let k = 1; k < ids.length; k++) {
    assert.equal(ids[k], ids[k - 1] + 1,
                 `${label}: id ${ids[k]} follows ${ids[k - 1]} (ids: ${ids.join(',')})`);
  }
}

await runTest('h2_eventsources', async () => {
  const dir = makeTempDir('ssegate-browser-h2-');
  const certs = makeTestCa(dir);
  const origin = await startOrigin(originBin, 5);
  const [gwPort, adminPort, pagePort] = [await freePort(), await freePort(), await freePort()];
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  const cfg = { gwPort, adminPort, originPort: origin.port, pageOrigin, certs };
  const gw = await startGateway(ssegateBin, gatewayYaml({ ...cfg, withResume: true }), adminPort);
  const pageServer = await startPageServer(pagePort);
  let browser;
  try {
    browser = await launchChromium();
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const consoleErrors = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));

    // What the browser's network stack saw, from the DevTools protocol: protocol, headers.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    const requests = new Map();  // requestId -> {url, headers, protocol, status, responseHeaders}
    const lower = (h) => Object.fromEntries(Object.entries(h || {}).map(([k, v]) => [k.toLowerCase(), v]));
    cdp.on('Network.requestWillBeSent', (e) => {
      const r = requests.get(e.requestId) || {};
      requests.set(e.requestId, { ...r, url: e.request.url, type: e.type,
                                   headers: { ...lower(e.request.headers), ...(r.headers || {}) } });
    });
    cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
      const r = requests.get(e.requestId) || {};
      requests.set(e.requestId, { ...r, headers: { ...(r.headers || {}), ...lower(e.headers) } });
    });
    cdp.on('Network.responseReceived', (e) => {
      const r = requests.get(e.requestId) || {};
      requests.set(e.requestId, { ...r, protocol: e.response.protocol, status: e.response.status,
                                   responseHeaders: lower(e.response.headers) });
    });
    cdp.on('Network.loadingFailed', (e) => {
      const r = requests.get(e.requestId) || {};
      requests.set(e.requestId, { ...r, failed: e.errorText });
    });

    await page.goto(`${pageOrigin}/`);
    const urls = Array.from({ length: STREAMS }, (_, i) => `https://127.0.0.1:${gwPort}${streamPath(i)}`);
    await page.evaluate((u) => window.openStreams(u), urls);

    const snap = () => page.evaluate(() => window.snapshot());
    let s = await waitFor(`all ${STREAMS} EventSources to receive >= ${MIN_EVENTS} events`, async () => {
      const v = await snap();
      return v.every((x) => x.ids.length >= MIN_EVENTS) && v;
    }, 30000, 200);
    for (const x of s) {
      assert.equal(x.opens, 1, `${x.url}: opened once`);
      assert.equal(x.errors, 0, `${x.url}: no error`);
      assert.equal(x.badData, 0, `${x.url}: data.seq matches the event id`);
      checkConsecutive(x.url, x.ids);
    }
    log(`all ${STREAMS} EventSources receiving; e.g. ${s[0].url}: ids ${s[0].ids.slice(0, 8).join(',')}`);

    // The browser's view: every EventSource response came over h2 with the CORS header.
    const sseRequests = () => [...requests.values()].filter((r) => r.url && r.url.startsWith(`https://127.0.0.1:${gwPort}/`));
    await waitFor('a response record for every EventSource', () => sseRequests().filter((r) => r.status).length >= STREAMS, 5000);
    for (const r of sseRequests()) {
      assert.equal(r.status, 200, `${r.url}: status`);
      assert.equal(r.protocol, 'h2', `${r.url}: protocol seen by Chromium`);
      assert.equal(r.responseHeaders['access-control-allow-origin'], pageOrigin, `${r.url}: CORS header`);
      assert.match(r.responseHeaders['content-type'] || '', /^text\/event-stream/, `${r.url}: content-type`);
    }

    // The gateway's view: 20 SSE streams on ONE HTTP/2 TLS connection, no HTTP/1.1 connection.
    let m = await metrics(adminPort);
    const h2tls = () => metric(m, 'ssegate_downstream_connections', { protocol: 'h2', tls: 'true' });
    const h1tls = () => metric(m, 'ssegate_downstream_connections', { protocol: 'http1', tls: 'true' });
    assert.equal(h2tls(), 1, 'ssegate_downstream_connections{protocol="h2",tls="true"}');
    assert.equal(h1tls() ?? 0, 0, 'ssegate_downstream_connections{protocol="http1",tls="true"}');
    assert.equal(metric(m, 'ssegate_subscriptions'), STREAMS, 'ssegate_subscriptions');
    assert.equal(metric(m, 'ssegate_channels'), 17, 'ssegate_channels (16 on /events + 1 on /resume)');
    const replayedBefore = metric(m, 'ssegate_events_replayed_total') ?? 0;
    log(`metrics: h2+tls connections ${h2tls()}, http1+tls ${h1tls() ?? 0}, subscriptions ` +
        `${metric(m, 'ssegate_subscriptions')}, channels ${metric(m, 'ssegate_channels')}`);

    // ssegate closes one stream: reload 1 removes /resume, its stream is drained with a retry:.
    await reloadGateway(gw, gatewayYaml({ ...cfg, withResume: false }));
    const t0 = Date.now();
    s = await waitFor('the /resume EventSource to see its stream end', async () => {
      const v = await snap();
      return v[RESUME_INDEX].errors >= 1 && v;
    }, 10000, 20);
    const closedAt = Date.now();
    const before = s[RESUME_INDEX];
    assert.equal(before.readyState, 0, 'the EventSource is reconnecting (CONNECTING), not closed');
    const lastId = before.ids[before.ids.length - 1];
    log(`/resume stream ended ${closedAt - t0} ms after the reload; last id seen ${lastId}`);
    // Reload 2 restores the route before the EventSource retries (>= ${RETRY_MS} ms).
    await reloadGateway(gw, gatewayYaml({ ...cfg, withResume: true }));
    const restoredIn = Date.now() - closedAt;
    log(`/resume route restored ${restoredIn} ms after the stream ended`);
    assert.ok(restoredIn < RETRY_MS - 500, `route restored before the retry delay (${restoredIn} ms)`);

    s = await waitFor(`the /resume EventSource to reconnect and receive ${MIN_EVENTS} more events`, async () => {
      const v = await snap();
      const r = v[RESUME_INDEX];
      return r.opens >= 2 && r.ids.length >= r.openAt[1] + MIN_EVENTS && v;
    }, 20000, 200);
    const after = s[RESUME_INDEX];
    const reopenAfterMs = Date.now() - closedAt;
    assert.equal(after.opens, 2, 'reconnected exactly once');
    const resumedIds = after.ids.slice(after.openAt[1]);
    log(`/resume reconnected; ids before: ...${after.ids.slice(Math.max(0, after.openAt[1] - 3), after.openAt[1]).join(',')}` +
        ` after: ${resumedIds.slice(0, 8).join(',')}...`);
    assert.equal(after.openAt[1], before.ids.length, 'no event between the end of the stream and the reconnect');
    assert.equal(resumedIds[0], lastId + 1, `the resumed stream starts at lastId+1 = ${lastId + 1}`);
    checkConsecutive('/resume across the reconnect', after.ids);
    assert.ok(resumedIds.length >= MIN_EVENTS);

    // The other 19 streams were not touched by either reload.
    for (const [i, x] of s.entries()) {
      if (i === RESUME_INDEX) continue;
      assert.equal(x.opens, 1, `${x.url}: still on its first stream`);
      assert.equal(x.errors, 0, `${x.url}: no error through the reloads`);
      checkConsecutive(x.url, x.ids);
    }

    // The reconnect carried Last-Event-ID and hit the ring.
    const resumeReqs = sseRequests().filter((r) => r.url.endsWith('/resume/res'));
    assert.equal(resumeReqs.length, 2, `two requests for /resume/res (${JSON.stringify(resumeReqs)})`);
    const second = resumeReqs.find((r) => r.headers && r.headers['last-event-id'] !== undefined);
    assert.ok(second, `a /resume request with Last-Event-ID (${JSON.stringify(resumeReqs)})`);
    assert.equal(second.headers['last-event-id'], String(lastId), 'Last-Event-ID sent by Chromium');
    assert.equal(second.protocol, 'h2', 'the reconnect used h2');
    assert.equal(second.responseHeaders['x-replay'], 'hit', 'X-Replay on the resumed stream');
    log(`reconnect: Last-Event-ID ${second.headers['last-event-id']}, X-Replay ${second.responseHeaders['x-replay']}, ` +
        `${reopenAfterMs} ms after the stream ended`);

    m = await metrics(adminPort);
    assert.equal(h2tls(), 1, 'still ONE h2+TLS connection after the reconnect');
    assert.equal(h1tls() ?? 0, 0, 'still no HTTP/1.1 TLS connection');
    assert.equal(metric(m, 'ssegate_subscriptions'), STREAMS, 'ssegate_subscriptions after the reconnect');
    const replayed = (metric(m, 'ssegate_events_replayed_total') ?? 0) - replayedBefore;
    assert.ok(replayed >= 1, `ssegate_events_replayed_total grew (${replayed})`);
    log(`replayed ${replayed} events on resume`);

    assert.deepEqual(consoleErrors, [], 'no console errors on the page');
    assert.equal(gw.exited, null, 'ssegate still running');
  } finally {
    if (browser) await browser.close().catch(() => {});
    pageServer.closeAllConnections();
    await new Promise((r) => pageServer.close(r));
  }
});
