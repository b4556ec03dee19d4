#!/usr/bin/env node
// Browser tests for the dashboard in web/: Debian's chromium, headless,
// driven by playwright-core (never a downloaded browser).
//
//   node tests/browser/dashboard.mjs CASE
//
// The page must already be served, with its WebSocket and HTTP fallback,
// by a running pipeline on a simulated KATO; tests/web.bats starts one.
// Environment:
//   KL_URL            the page, e.g. http://127.0.0.1:8080/
//   KATO_SIM_CONTROL  the simulator's control port (scripts/kato-simctl -p)
//   KL_ARTIFACTS      where screenshots go (default build/test-artifacts)
//   KL_TICK_MS        the pipeline's tick (default 3000)
//   KL_CHROMIUM       the browser (default /usr/bin/chromium)
//   KL_SESSIONS       0 when the pipeline has no session-summary
//
// CASE is one of the names in CASES below.  Exit 0 when the case passes,
// 1 when it fails (the reason on stderr), 100 on usage errors.

import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const top = path.resolve(here, '../..');
const URL_ = process.env.KL_URL;
const CONTROL = process.env.KATO_SIM_CONTROL;
const ARTIFACTS = process.env.KL_ARTIFACTS || path.join(top, 'build/test-artifacts');
const TICK = Number(process.env.KL_TICK_MS || 3000);
const CHROMIUM = process.env.KL_CHROMIUM || '/usr/bin/chromium';
// The machine is shared and slow at times: "within one tick" gets slack.
const SLACK = 8000;
const CASE = process.argv[2];

function die(msg, code = 1) {
	process.stderr.write(`dashboard: ${msg}\n`);
	process.exit(code);
}

function simctl(...args) {
	const out = execFileSync('python3', [path.join(top, 'scripts/kato-simctl'), '-p', CONTROL, ...args],
		{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
	return JSON.parse(out);
}

function check(cond, what) {
	if (!cond) throw new Error(what);
}

// Wait until fn() (run in node) returns a truthy value; fail with what.
async function until(ms, what, fn) {
	const end = Date.now() + ms;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last) return last;
		} catch (e) {
			last = e.message;
		}
		if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}` + (last ? ` (last: ${last})` : ''));
		await new Promise((r) => setTimeout(r, 200));
	}
}

const text = (page, sel) => page.locator(sel).first().textContent({ timeout: 2000 }).then((t) => (t || '').trim());

// One browser per case, with a fresh profile, removed afterwards.
async function withBrowser(opts, fn) {
	fs.rmSync(path.join(ARTIFACTS, `dashboard-failed-${CASE}.png`), { force: true });
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kl-chromium-'));
	const ctx = await chromium.launchPersistentContext(dir, {
		executablePath: CHROMIUM,
		headless: true,
		viewport: { width: 1280, height: 800 },
		colorScheme: opts.colorScheme || 'light',
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
			'--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
	});
	const page = ctx.pages()[0] || await ctx.newPage();
	const problems = [];
	page.on('console', (m) => {
		// history.js is another module, absent until it is written: the page's
		// guarded import of it may 404
		// /api/v1/alerts is another branch's route: 404 until it is merged
		if (m.type() === 'error' && !/\/(history\.js|api\/v1\/alerts)$/.test((m.location() || {}).url || '')) problems.push('console error: ' + m.text());
	});
	page.on('pageerror', (e) => problems.push('page error: ' + e.message));
	page.on('requestfailed', (r) => {
		const f = r.failure();
		// an aborted poll (the WebSocket came back) is expected, nothing else is
		if (!(f && /ERR_ABORTED/.test(f.errorText))) problems.push(`request failed: ${r.url()}: ${f && f.errorText}`);
	});
	try {
		await fn(page, problems);
	} catch (e) {
		/* what the page looked like when it failed */
		fs.mkdirSync(ARTIFACTS, { recursive: true });
		await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-failed-${CASE}.png`) }).catch(() => {});
		if (problems.length) e.message += '\n  the page also reported:\n  ' + problems.join('\n  ');
		throw e;
	} finally {
		await ctx.close().catch(() => {});
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

// The HTTP fallback's polls.  The history charts' fetches (/api/v1/history,
// /api/v1/events: the stored past, loaded once and on a range change) are
// not fallback polling and are left out.
const httpCalls = (page) => {
	const calls = [];
	page.on('request', (r) => {
		const p = new URL(r.url()).pathname;
		if (p.startsWith('/api/v1/') && p !== '/api/v1/history' && p !== '/api/v1/events')
			calls.push({ at: Date.now(), url: r.url() });
	});
	return calls;
};

async function waitLive(page) {
	await until(TICK + SLACK, 'the connection indicator to say live',
		async () => (await page.getAttribute('#conn', 'data-state')) === 'live');
}

async function shot(page, name, width, height) {
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	await page.setViewportSize({ width, height });
	await page.waitForTimeout(300);
	const file = path.join(ARTIFACTS, `dashboard-${name}.png`);
	await page.screenshot({ path: file, fullPage: width < 600 });
	return file;
}

const num = (s) => Number(String(s).replace(/[^0-9.\-]/g, ''));

const ALL_TOPICS = ['metrics', 'containers', 'sessions', 'session_events', 'system_alerts'];
const fixture = (name) => JSON.parse(fs.readFileSync(path.join(top, 'tests/node/fixtures', name), 'utf8'));

// A realtime_update from tests/node/fixtures/frame-new.json (the shapes the
// other stages add: thresholds, rates, null memory limits), stamped now,
// with changes.
function newFrame(change = (f) => f) {
	const f = fixture('frame-new.json');
	f.timestamp = new Date().toISOString();
	f.interval_ms = 1000;
	return JSON.stringify(change(f));
}

const hello = (interval = 1000) => JSON.stringify({ type: 'connected', timestamp: new Date().toISOString(),
	interval_ms: interval, topics: ALL_TOPICS });

// The page's WebSocket answered by the test (no server): onConnect(ws, n)
// for the n-th connection; pings get a heartbeat.
async function mockSocket(page, onConnect) {
	let n = 0;
	const socks = [];
	await page.routeWebSocket(/\/ws$/, (ws) => {
		n++;
		socks.push(ws);
		ws.onMessage((m) => { if (/ping/.test(m)) ws.send(JSON.stringify({ type: 'heartbeat', timestamp: new Date().toISOString() })); });
		onConnect(ws, n);
	});
	return socks;
}

const state = (page) => page.getAttribute('#conn', 'data-state');

// The header is one line: brand and connection state side by side.
async function oneLineHeader(page) {
	const h = await page.locator('header.top').boundingBox();
	const b = await page.locator('.brand').boundingBox();
	const c = await page.locator('#conn').boundingBox();
	check(h.height <= 50 && Math.abs((c.y + c.height / 2) - (b.y + b.height / 2)) < 8,
		`header on one line (header ${h.height}px high, brand at ${b.y}, state at ${c.y})`);
}

const CASES = {
	// KATO metrics, container rows and session counts within one tick of
	// loading; they follow the simulator; screenshots at both widths.
	async live() {
		simctl('metrics', 'reset');
		simctl('health', 'healthy');
		// without a session-summary built, the sessions section cannot fill
		const sessions = process.env.KL_SESSIONS !== '0';
		if (!sessions) process.stdout.write('# session-summary not built: session counts not checked\n');
		await withBrowser({}, async (page, problems) => {
			const calls = httpCalls(page);
			const t0 = Date.now();
			await page.goto(URL_);
			await until(TICK + SLACK, 'KATO metrics, container rows and session counts', async () =>
				(await text(page, '#kato-rps')) !== '—' &&
				(await text(page, '#kato-status')) === 'healthy' &&
				await page.locator('#containers-body tr').count() > 0 &&
				(!sessions || (await text(page, '#sessions-active')) !== '—'));
			const loadMs = Date.now() - t0;
			await waitLive(page);

			simctl('metrics', 'requests_per_second=432.1', 'cpu_percent=61.5', 'error_rate=0.0123');
			const before = sessions ? num(await text(page, '#sessions-active')) : null;
			simctl('sessions', 'create', '2');
			await until(2 * TICK + SLACK, 'the simulator\'s new values on the page', async () =>
				(await text(page, '#kato-rps')) === '432' &&
				(await text(page, '#res-cpu .meter-value')) === '61.5 %' &&
				(await text(page, '#kato-errors')) === '1.23 %' &&
				(!sessions || num(await text(page, '#sessions-active')) === before + 2));
			check(calls.length === 0, `HTTP fallback polled while the WebSocket was up: ${calls.map((c) => c.url).join(', ')}`);
			const age = await text(page, '#conn-age');
			check(/updated \d+ s ago/.test(age), `connection indicator shows the data's age: "${age}"`);
			// a container row has every column, in units for people
			const row = page.locator('#containers-body tr').first();
			const mem = (await row.locator('.c-mem').textContent()).trim();
			check(/\d (B|KiB|MiB|GiB) \/ .*(B|KiB|MiB|GiB|no limit|—)/.test(mem), `container memory in binary units: "${mem}"`);
			const net = (await row.locator('.c-net').textContent()).trim();
			check(/total \S+ (B|KiB|MiB|GiB) \/ /.test(net), `network totals in binary units: "${net}"`);
			const heads = await page.locator('#panel-containers thead').textContent();
			check(/Net rx \/ tx\s*per second · total/.test(heads) && /Block read \/ write\s*per second · total/.test(heads),
				`column headers say rates per second and totals: "${heads}"`);
			const foot = await text(page, '#foot-text');
			check(/Live over WebSocket/.test(foot) && /threshold/.test(foot), `footer says what is in force: "${foot}"`);
			check(await row.locator('.c-spark svg').count() === 1, 'container row has a sparkline');

			await shot(page, '1280x800', 1280, 800);
			await shot(page, '375', 375, 800);
			check(problems.length === 0, problems.join('\n'));
			process.stdout.write(`# page showed live data ${loadMs} ms after loading\n`);
		});
		// the dark theme, for the eye
		await withBrowser({ colorScheme: 'dark' }, async (page, problems) => {
			await page.goto(URL_);
			await waitLive(page);
			await until(TICK + SLACK, 'containers', async () => await page.locator('#containers-body tr').count() > 0);
			await shot(page, '1280x800-dark', 1280, 800);
			await shot(page, '375-dark', 375, 800);
			check(problems.length === 0, problems.join('\n'));
		});
		simctl('metrics', 'reset');
	},

	// An alert raised in the pipeline appears; when it clears it is listed
	// as resolved, with its time.
	async alerts() {
		simctl('health', 'healthy');
		await withBrowser({}, async (page, problems) => {
			await page.goto(URL_);
			await waitLive(page);
			simctl('health', 'degraded');
			await until(3 * TICK + SLACK, 'a kato_unhealthy alert firing', async () =>
				await page.locator('#alerts-firing li[data-type="kato_unhealthy"]').count() === 1);
			const t = await text(page, '#alerts-firing li[data-type="kato_unhealthy"]');
			check(/since \d\d:\d\d:\d\d/.test(t), `firing alert has its time: "${t}"`);
			check((await text(page, '#kato-status')) === 'degraded', 'KATO status shows degraded');
			check(/\d+ firing/.test(await text(page, '#alerts-count')), 'alert count badge');
			simctl('health', 'healthy');
			await until(3 * TICK + SLACK, 'the alert to resolve', async () =>
				await page.locator('#alerts-firing li[data-type="kato_unhealthy"]').count() === 0 &&
				await page.locator('#alerts-resolved li[data-type="kato_unhealthy"]').count() >= 1);
			const r = await text(page, '#alerts-resolved li[data-type="kato_unhealthy"]');
			check(/resolved \d\d:\d\d:\d\d/.test(r), `resolved alert has its time: "${r}"`);
			check(problems.length === 0, problems.join('\n'));
		});
	},

	// A session created in the simulator appears in the event log.
	async sessions() {
		await withBrowser({}, async (page, problems) => {
			await page.goto(URL_);
			await waitLive(page);
			await until(TICK + SLACK, 'session counts', async () => (await text(page, '#sessions-active')) !== '—');
			const n = simctl('sessions', 'create', '1').sessions;
			await until(3 * TICK + SLACK, 'a session_created event in the log', async () =>
				await page.locator('#session-log li[data-type="session_created"]').count() >= 1);
			const t = await text(page, '#session-log li');
			check(/\d\d:\d\d:\d\d\s*created/.test(t) && /now \d+ active/.test(t), `event log entry: "${t}" (simulator: ${JSON.stringify(n)})`);
			simctl('sessions', 'delete', '1');
			await until(3 * TICK + SLACK, 'a session_destroyed event in the log', async () =>
				await page.locator('#session-log li[data-type="session_destroyed"]').count() >= 1);
			check(problems.length === 0, problems.join('\n'));
		});
	},

	// With the WebSocket endpoint gone the page polls the HTTP fallback and
	// keeps showing fresh data; when it returns, polling stops.
	async fallback() {
		simctl('metrics', 'reset');
		await withBrowser({}, async (page, problems) => {
			const calls = httpCalls(page);
			let down = false;
			const open = new Set();
			await page.routeWebSocket(/\/ws$/, (ws) => {
				if (down) { ws.close({ code: 1011, reason: 'endpoint stopped by the test' }); return; }
				ws.connectToServer();
				open.add(ws);
			});
			await page.goto(URL_);
			await waitLive(page);
			await page.waitForTimeout(1000);
			check(calls.length === 0, 'no HTTP polling while the WebSocket is up');

			down = true;
			const tDown = Date.now();
			for (const ws of open) await ws.close({ code: 1006, reason: 'endpoint stopped by the test' }).catch(() => {});
			open.clear();
			await until(SLACK, 'the page to switch to the HTTP fallback', async () =>
				(await page.getAttribute('#conn', 'data-state')) === 'polling');
			const switchMs = Date.now() - tDown;
			check(/^Polling HTTP · WebSocket down$/.test(await text(page, '#conn-text')), 'indicator says polling HTTP, WebSocket down');
			simctl('metrics', 'requests_per_second=77.7');
			await until(5000 + TICK + SLACK, 'fresh data over HTTP', async () => (await text(page, '#kato-rps')) === '77.7');
			const polls = calls.length;
			check(polls >= 4, `HTTP fallback requests made: ${polls}`);
			await page.waitForTimeout(5500);
			check(calls.length > polls, 'the page keeps polling every 5 s while the WebSocket is down');
			const age = await text(page, '#conn-age');
			const secs = Number((/updated (\d+) s ago/.exec(age) || [])[1]);
			check(secs <= 6, `data stays fresh over HTTP: "${age}"`);
			await shot(page, 'fallback-1280x800', 1280, 800);

			down = false;
			const tUp = Date.now(), downPolls = calls.length;
			await until(30000 + SLACK, 'the page to go back to the WebSocket', async () =>
				(await page.getAttribute('#conn', 'data-state')) === 'live');
			const backMs = Date.now() - tUp;
			await page.waitForTimeout(1500);   /* a poll already in flight may finish */
			const after = calls.length;
			await page.waitForTimeout(11000);  /* two poll periods */
			check(calls.length === after, `HTTP polling stopped once the WebSocket was back (${calls.length - after} more requests)`);
			process.stdout.write(`# fallback showing data ${switchMs} ms after the WebSocket went; ${downPolls} HTTP requests ` +
				`in ${((tUp - tDown) / 1000).toFixed(1)} s down; back on the WebSocket ${backMs} ms after it returned (backoff); ` +
				`0 HTTP requests in the 11 s after\n`);
			simctl('metrics', 'requests_per_second=88.8');
			await until(2 * TICK + SLACK, 'live data over the WebSocket again', async () => (await text(page, '#kato-rps')) === '88.8');
			// The browser logs the WebSocket closing, and any fallback answer
			// that is not 200 (a 503 for a section in error, which the page
			// shows in its panel); nothing else may appear.
			const other = problems.filter((p) => !/WebSocket|status of 503/.test(p));
			check(other.length === 0, other.join('\n'));
		});
		simctl('metrics', 'reset');
	},

	// KATO failing: the panel says so with the error text; it comes back.
	async failing() {
		simctl('mode', 'normal');
		await withBrowser({}, async (page, problems) => {
			await page.goto(URL_);
			await waitLive(page);
			await until(TICK + SLACK, 'KATO metrics', async () => (await text(page, '#kato-rps')) !== '—');
			simctl('mode', 'down');
			const note = await until(4 * TICK + SLACK, 'the KATO panel to say it is failing', async () => {
				if (!await page.locator('#kato-notice').isVisible()) return null;
				const t = await text(page, '#kato-notice');
				return /refused|unreachable|stale|unavailable/i.test(t) ? t : null;
			});
			check(/refused|connect/i.test(note), `the notice carries the error text: "${note}"`);
			check((await text(page, '#kato-rps')) !== '0', 'no zero in place of an unknown value');
			simctl('mode', 'normal');
			await until(4 * TICK + SLACK, 'the notice to clear', async () => !await page.locator('#kato-notice').isVisible());
			check(problems.length === 0, problems.join('\n'));
		});
	},

	// What the server could not measure is "—", never 0; stale and failing
	// sections say so with the server's words.  (Frames from a mock socket.)
	async nulls() {
		await withBrowser({}, async (page, problems) => {
			const ts = new Date().toISOString();
			await page.routeWebSocket(/\/ws$/, (ws) => {
				ws.send(JSON.stringify({ type: 'connected', timestamp: ts, interval_ms: 3000,
					topics: ['metrics', 'containers', 'sessions', 'session_events', 'system_alerts'] }));
				ws.send(JSON.stringify({
					type: 'realtime_update', timestamp: ts, interval_ms: 3000,
					data: {
						metrics: { timestamp: Date.now() / 1000, sessions: null, performance: { error_rate: null, total_requests: null },
							resources: { cpu_percent: null, memory_percent: 40, disk_percent: null },
							rates: { requests_per_second: null }, uptime_seconds: 7322, active_sessions: null, error: null },
						health: { status: 'degraded', issues: ['High error rate detected'] },
						containers: { containers: [{ name: 'kato-redis', status: 'running', cpu: null,
							memory: { usage_bytes: null, limit_bytes: null, usage_percent: null },
							network: { rx_bytes: null, tx_bytes: 2048 }, block_io: { read_bytes: null, write_bytes: null } }],
							aggregated: { container_count: 1, total_cpu_percent: null } },
						sessions: { error: 'GET http://kato:8000/sessions/count: HTTP 500: Internal Server Error' },
					},
					stale: ['docker-stats'],
					sources: { 'docker-stats': { ok: false, ts, age_ms: 12000, error: 'docker: connect /var/run/docker.sock: No such file' } },
				}));
			});
			await page.goto(URL_);
			await waitLive(page);
			await until(SLACK, 'the container row', async () => await page.locator('#containers-body tr').count() === 1);
			const row = page.locator('#containers-body tr').first();
			check((await row.locator('.c-cpu').textContent()).trim() === '—', 'null CPU shows —');
			check((await row.locator('.c-mem .c-main').textContent()).trim() === '— / —', 'null memory shows —');
			check((await row.locator('.c-net .c-main').textContent()).trim() === '— / —', 'no rates: —');
			check((await row.locator('.c-net .c-sub').textContent()).trim() === 'total — / 2.0 KiB', 'null rx total shows —, tx in KiB');
			check((await text(page, '#kato-rps')) === '—', 'null requests/s shows —');
			check((await text(page, '#kato-errors')) === '—', 'null error rate shows —');
			check((await text(page, '#res-cpu .meter-value')) === '—', 'null CPU meter shows —');
			check((await text(page, '#res-mem .meter-value')) === '40.0 %', 'memory meter');
			check((await text(page, '#kato-uptime')) === '2 h 2 min', 'uptime for people');
			check((await text(page, '#kato-status')) === 'degraded', 'health status');
			check(/High error rate/.test(await text(page, '#kato-issues')), 'health issues listed');
			const cn = await text(page, '#containers-notice');
			check(/docker-stats/.test(cn) && /No such file/.test(cn) && /12 s ago/.test(cn), `stale containers notice: "${cn}"`);
			// what changes every tick (the age) is outside the announced part
			const live = await text(page, '#containers-notice [role="status"]');
			check(/docker-stats/.test(live) && !/ago/.test(live), `announced part of the notice does not tick: "${live}"`);
			check(/12 s ago/.test(await text(page, '#containers-notice .notice-age')), 'the age beside it');
			const sn = await text(page, '#sessions-notice');
			check(/HTTP 500: Internal Server Error/.test(sn), `failing sessions notice: "${sn}"`);
			check((await text(page, '#sessions-active')) === '—', 'no session count invented');
			// basics for keyboards and screen readers
			await page.keyboard.press('Tab');
			check(await page.evaluate(() => document.activeElement.classList.contains('skip')), 'Tab reaches the skip link first');
			check(await page.getByRole('banner').count() === 1 && await page.getByRole('main').count() === 1 &&
				await page.getByRole('contentinfo').count() === 1, 'banner, main and contentinfo landmarks');
			for (const h of ['KATO', 'Alerts', 'Containers', 'Sessions'])
				check(await page.getByRole('region', { name: h, exact: true }).count() === 1, `a region named ${h}`);
			check(await page.getByRole('status').count() >= 1, 'the connection state is a status');
			check(await page.getByRole('log').count() === 1, 'the session events are a log');
			await shot(page, 'nulls-1280x800', 1280, 800);
			check(problems.length === 0, problems.join('\n'));
		});
	},

	// Containers of several Docker hosts: a Host column only when there is
	// more than one host, the same name on two hosts is two rows, and a
	// host that stopped reporting has its rows marked, not dropped.
	async hosts() {
		const c = (name, host, cpu, extra = {}) => ({ name, host, status: 'running', cpu,
			memory: { usage_bytes: 1048576, limit_bytes: null, usage_percent: null }, ...extra });
		await withBrowser({}, async (page, problems) => {
			const socks = await mockSocket(page, (ws) => {
				ws.send(hello());
				ws.send(newFrame((f) => {
					f.data.containers = { containers: [c('kato', 'dock-a', 5)],
						aggregated: { container_count: 1, total_cpu_percent: 5 },
						hosts: { 'dock-a': { ok: true, stale: false } } };
					return f;
				}));
			});
			await page.goto(URL_);
			await waitLive(page);
			await until(SLACK, 'one row', async () => await page.locator('#containers-body tr').count() === 1);
			check(!await page.locator('#panel-containers thead .c-host').isVisible(), 'one host: no Host column');
			check(!await page.locator('#containers-body .c-host').first().isVisible(), 'one host: no host cell');
			socks[0].send(newFrame((f) => {
				f.data.containers = { containers: [c('kato', 'dock-a', 5), c('kato', 'dock-b', 70, { stale: true }),
					c('kato-redis', 'dock-b', 1, { stale: true })],
					aggregated: { container_count: 1, total_cpu_percent: 5 },
					hosts: { 'dock-a': { ok: true, stale: false }, 'dock-b': { ok: true, stale: true } } };
				f.stale = ['docker-stats@dock-b'];
				return f;
			}));
			await until(SLACK, 'three rows', async () => await page.locator('#containers-body tr').count() === 3);
			check(await page.locator('#panel-containers thead .c-host').isVisible(), 'two hosts: a Host column');
			const keys = await page.locator('#containers-body tr').evaluateAll((trs) => trs.map((t) => t.dataset.name));
			check(JSON.stringify(keys) === '["dock-a/kato","dock-b/kato","dock-b/kato-redis"]', `rows by host and name: ${keys}`);
			const b = page.locator('#containers-body tr[data-name="dock-b/kato"]');
			check((await b.locator('.c-host').textContent()).trim() === 'dock-b', 'the host cell names the host');
			check(await b.getAttribute('data-host-stale') === '1', 'a stopped host\'s row is marked');
			check((await b.locator('.c-status .badge').textContent()).trim() === 'last: running', 'its status is its last word');
			const a = page.locator('#containers-body tr[data-name="dock-a/kato"]');
			check(await a.getAttribute('data-host-stale') === '' &&
				(await a.locator('.c-status .badge').textContent()).trim() === 'running', 'the other host\'s rows are live');
			const sum = await text(page, '#containers-summary');
			check(/3 containers on 2 hosts/.test(sum) && /not reporting: dock-b/.test(sum), `summary: "${sum}"`);
			await shot(page, 'hosts-1280x800', 1280, 800);
			check(problems.length === 0, problems.join('\n'));
		});
	},

	// Heartbeats are not data: with frames stopped (pings still answered)
	// the header says "No new data for N s", panels dim, the KATO badge stops
	// saying healthy, containers stop saying running, alerts are unknown.
	async stale() {
		await withBrowser({}, async (page, problems) => {
			const socks = await mockSocket(page, (ws) => {
				ws.send(hello());
				ws.send(JSON.stringify({ type: 'active_alerts', timestamp: new Date().toISOString(), alerts: [] }));
				ws.send(newFrame());
			});
			await page.goto(URL_ + '?ping=1');
			await waitLive(page);
			await until(SLACK, 'healthy and none firing', async () =>
				(await text(page, '#kato-status')) === 'healthy' && (await text(page, '#alerts-count')) === 'none firing');
			const t0 = Date.now();
			await until(SLACK, 'the header to say there is no new data', async () => (await state(page)) === 'stale');
			const staleMs = Date.now() - t0;
			const head = await text(page, '#conn');
			check(/^No new data\s*for \d+ s/.test(head), `header: "${head}"`);
			check((await text(page, '#conn-text')) === 'No new data', 'the live region does not tick');
			check(await page.evaluate(() => document.body.classList.contains('page-stale')), 'panels dimmed');
			check((await text(page, '#kato-status')) === 'unknown', 'KATO badge no longer says healthy');
			check((await page.getAttribute('#kato-status', 'title')) === 'last reported healthy' ||
				/last reported healthy/.test(await page.getAttribute('#kato-status', 'title')), 'it says what it last knew');
			check((await text(page, '#alerts-count')) === 'unknown', 'alerts unknown, not none firing');
			check(/Alerts unknown/.test(await text(page, '#alerts-notice')), 'alerts notice');
			check(/^last: running/.test(await text(page, '#containers-body tr .c-status .badge')), 'container status not claimed');
			await shot(page, 'stale-375', 375, 700);
			await oneLineHeader(page);
			await page.setViewportSize({ width: 1280, height: 800 });
			// the hub's word for it: the dashboard server's pipeline, not KATO
			socks[0].send(JSON.stringify({ type: 'error', timestamp: new Date().toISOString(),
				error: { code: 'stream_stalled', message: 'no frame from the pipeline for 2.5 s' } }));
			await until(SLACK, 'the banner naming the stalled pipeline', async () =>
				await page.locator('#server-error').isVisible() &&
				/dashboard server's pipeline stopped sending data \(stream_stalled\): no frame/.test(await text(page, '#server-error')));
			socks[0].send(newFrame());
			await until(SLACK, 'live again with a new frame', async () =>
				(await state(page)) === 'live' && (await text(page, '#kato-status')) === 'healthy');
			check(await page.locator('#server-error').isHidden(), 'the banner goes with the next frame');
			check(problems.length === 0, problems.join('\n'));
			process.stdout.write(`# stale shown ${staleMs} ms after it began looking (1 s tick: two ticks and 0.5 s)\n`);
		});
	},

	// The dashboard's own server unreachable (WebSocket gone, HTTP refused):
	// the header says so; KATO is not painted "unreachable".
	async unreachable() {
		await withBrowser({}, async (page, problems) => {
			let down = false;
			const socks = await mockSocket(page, (ws) => {
				if (down) { ws.close({ code: 1006, reason: 'down' }); return; }
				ws.send(hello());
				ws.send(newFrame());
			});
			await page.goto(URL_);
			await waitLive(page);
			await until(SLACK, 'healthy', async () => (await text(page, '#kato-status')) === 'healthy');
			down = true;
			await page.route(/\/api\/v1\//, (r) => r.abort('connectionrefused'));
			await socks[0].close({ code: 1006, reason: 'server gone' });
			await until(SLACK, 'the header to blame the dashboard server', async () =>
				(await state(page)) === 'down' && (await text(page, '#conn-text')) === 'Dashboard server unreachable');
			const badge = await text(page, '#kato-status');
			check(badge === 'healthy' || badge === 'unknown', `KATO not blamed: badge "${badge}"`);
			check((await page.getAttribute('#kato-status', 'data-level')) !== 'bad', 'KATO badge not red');
			check(await page.locator('#kato-notice').isHidden(), 'no KATO notice for the dashboard server\'s fault');
			await until(SLACK, 'stale after two ticks', async () => (await text(page, '#kato-status')) === 'unknown');
			await shot(page, 'unreachable-375', 375, 700);
			await oneLineHeader(page);
			const other = problems.filter((p) => !/ERR_CONNECTION_REFUSED|WebSocket/.test(p));
			check(other.length === 0, other.join('\n'));
		});
	},

	// too_slow: "you fell behind, reconnecting", not "server unavailable".
	async behind() {
		await withBrowser({}, async (page, problems) => {
			await mockSocket(page, (ws, n) => {
				if (n === 1) {
					ws.send(hello());
					ws.send(newFrame());
					setTimeout(() => {
						ws.send(JSON.stringify({ type: 'error', timestamp: new Date().toISOString(),
							error: { code: 'too_slow', message: 'this client fell behind: cut off' } }));
						ws.close({ code: 1000, reason: 'cut off' });
					}, 1500);
				} else {
					// the reconnect is slow to answer, so the state can be seen
					setTimeout(() => { ws.send(hello()); ws.send(newFrame()); }, 3000);
				}
			});
			await page.goto(URL_);
			await waitLive(page);
			await until(SLACK, 'the header to say it fell behind', async () => (await state(page)) === 'behind');
			check((await text(page, '#conn-text')) === 'You fell behind · reconnecting', 'fell behind, in words');
			check(await page.locator('#server-error').isHidden(), 'no "server unavailable" banner');
			await oneLineHeader(page);
			await until(SLACK, 'live again', async () => (await state(page)) === 'live');
			check(problems.length === 0, problems.join('\n'));
		});
	},

	// The shapes the other stages add: thresholds in the frame, rates, no
	// memory limit, a per-container alert, the sessions list from
	// session_update messages, events naming their session.
	async shapes() {
		await withBrowser({}, async (page, problems) => {
			const ups = fixture('session-updates.ndjson.json');
			const now = Date.now();
			// created 5, 3 and 1 min ago; bbbb is removed by the last update
			ups[0].session.created_at = new Date(now - 300000).toISOString();
			ups[1].session.created_at = new Date(now - 180000).toISOString();
			ups[2].session.created_at = new Date(now - 60000).toISOString();
			ups[3].session.created_at = ups[0].session.created_at;
			ups[3].session.last_accessed = new Date(now - 10000).toISOString();
			ups[3].session.expires_at = new Date(now + 3590000).toISOString();
			ups[2].session.last_accessed = new Date(now - 30000).toISOString();
			ups[2].session.expires_at = new Date(now + 3570000).toISOString();
			const socks = await mockSocket(page, (ws) => {
				ws.send(hello());
				ws.send(JSON.stringify({ type: 'active_alerts', timestamp: new Date().toISOString(), alerts: [] }));
				ws.send(newFrame());
				for (const u of ups) ws.send(JSON.stringify(u));
				ws.send(JSON.stringify({ type: 'system_alert', id: 'high_memory:kato', timestamp: new Date().toISOString(), state: 'firing',
					alerts: [{ id: 'high_memory:kato', level: 'error', type: 'high_memory', container: 'kato',
						message: 'Container kato memory at 96 %', value: 96, threshold: 45, state: 'firing', since: new Date().toISOString() }] }));
				ws.send(JSON.stringify({ type: 'session_event', event_type: 'session_created', timestamp: new Date().toISOString(),
					data: { session_id: ups[2].session.session_id, node_id: 'node-c', current_count: 2, previous_count: 1, delta: 1 } }));
			});
			await page.goto(URL_ + '?ping=1');
			await waitLive(page);
			const kato = page.locator('#containers-body tr[data-name="kato"]');
			await until(SLACK, 'the kato container row', async () => await kato.count() === 1);
			const frameRefresh = setInterval(() => socks[0].send(newFrame()), 700);
			try {
				check((await kato.locator('.c-mem .c-main').textContent()).trim() === '1.5 GiB / no limit', 'no limit, binary units');
				check((await kato.locator('.c-mem .c-sub').textContent()).trim() === '—', 'no percentage without a limit');
				check(!/ of /.test(await text(page, '#containers-summary')), 'no sum of limits beside a container without one');
				check((await kato.locator('.c-net .c-main').textContent()).trim() === '2.0 KiB/s / 1.0 KiB/s', 'network rates per second');
				check((await kato.locator('.c-net .c-sub').textContent()).trim() === 'total 10 MiB / 5.0 MiB', 'network totals');
				check((await kato.locator('.c-blk .c-main').textContent()).trim() === '— / —', 'no rate on a first sample');
				// thresholds from the frame (CPU 60, error rate 2 %, host CPU 70), not the defaults
				check((await kato.locator('.c-cpu').getAttribute('data-level')) === 'bad', 'CPU 65 % over the server\'s 60 %');
				check((await page.getAttribute('#kato-errors', 'data-level')) === 'bad', 'error rate 3 % over the server\'s 2 %');
				check((await page.getAttribute('#res-cpu', 'data-level')) === 'bad', 'host CPU 72 % over the server\'s 70 %');
				check(/server's alert thresholds/.test(await text(page, '#foot-text')), 'footer: thresholds from the server');
				await until(SLACK, 'the kato row highlighted by its alert', async () => (await kato.getAttribute('data-alert')) === 'error');
				check(/alert firing/.test(await kato.locator('th').textContent()), 'the row says an alert is firing');
				check((await page.locator('#alerts-announce').textContent()) === 'Alert firing: Container kato memory at 96 %',
					'a new alert is announced once, in words that do not tick');
				check(await page.locator('#alerts-firing[aria-live]').count() === 0, 'the list with its ticking ages is not a live region');
				check(await page.locator('#containers-body tr[data-name="kato-redis"]').getAttribute('data-alert') === '', 'only that row');

				const rows = page.locator('#session-list-body tr');
				await until(SLACK, 'two sessions listed', async () => await rows.count() === 2);
				const first = rows.nth(0), second = rows.nth(1);
				check((await first.getAttribute('data-id')) === ups[2].session.session_id, 'newest first');
				check((await second.getAttribute('data-id')) === ups[0].session.session_id, 'then the older one');
				check((await first.locator('.sid-short').textContent()) === 'session-cccccccc…', 'id shortened');
				check((await first.locator('.sid').getAttribute('title')) === ups[2].session.session_id, 'full id on hover');
				await first.locator('.sid').focus();
				check(await first.locator('.sid-full').evaluate((e) => e.getBoundingClientRect().width > 100), 'full id shown on focus');
				check((await first.locator('td').nth(0).textContent()) === 'node-c', 'node');
				const cells = await second.locator('td').allTextContents();
				check(cells[1] === '5 min' && /^\d\d s ago$/.test(cells[2]) && /^in 59 min$/.test(cells[3]), `age, last activity, expires: ${cells}`);
				const log = await text(page, '#session-log li');
				check(/session-cccccccc…/.test(log) && /node-c/.test(log) && /now 2 active/.test(log), `event names its session: "${log}"`);

				await shot(page, 'shapes-1280x800', 1280, 800);
				await shot(page, 'shapes-375', 375, 800);
				await page.setViewportSize({ width: 1280, height: 800 });

				socks[0].send(JSON.stringify({ type: 'session_update', timestamp: new Date().toISOString(), op: 'removed',
					session: { op: 'removed', session_id: ups[2].session.session_id, reason: 'ended' } }));
				await until(SLACK, 'the removed session gone', async () => await rows.count() === 1);

				clearInterval(frameRefresh);
				socks[0].send(newFrame((f) => {
					f.stale = ['kato-sessions'];
					f.sources['kato-sessions'] = { ok: false, age_ms: 9000, error: 'connect to redis://127.0.0.1:6379: Connection refused' };
					delete f.data.thresholds;
					return f;
				}));
				await until(SLACK, 'the list to say it is stale', async () =>
					/Stale: the session list is not being updated \(connect to redis:\/\/127\.0\.0\.1:6379: Connection refused\)/
						.test(await text(page, '#session-list-notice')));
				await until(SLACK, 'defaults said in the footer', async () => /defaults/.test(await text(page, '#foot-text')));
				check((await kato.locator('.c-cpu').getAttribute('data-level')) === 'ok', 'CPU 65 % under the default 80 %');
			} finally {
				clearInterval(frameRefresh);
			}
			check(problems.length === 0, problems.join('\n'));
		});
	},

	// WEBSOCKET_ENABLED=false (the real server refusing the handshake with
	// 403): learned at once, everything over HTTP, the footer says so.
	async refused() {
		await withBrowser({}, async (page, problems) => {
			const calls = httpCalls(page);
			let attempts = 0;
			page.on('websocket', () => { attempts++; });
			const t0 = Date.now();
			await page.goto(URL_);
			await until(SLACK, 'the page to learn WebSockets are off', async () =>
				(await text(page, '#conn-text')) === 'Polling HTTP · WebSocket off');
			const learnMs = Date.now() - t0;
			const learnedAfter = attempts;   /* retries before the first HTTP answer are fair */
			await until(5000 + TICK + SLACK, 'data over HTTP', async () => (await text(page, '#kato-rps')) !== '—');
			check(/WEBSOCKET_ENABLED=false/.test(await text(page, '#foot-text')), 'footer says what is in force');
			check(!/retry/.test(await text(page, '#conn')), 'no retry countdown');
			await page.waitForTimeout(6000);
			check(attempts === learnedAfter && learnedAfter <= 3,
				`no WebSocket retry loop once learned (${learnedAfter} attempts before, ${attempts - learnedAfter} after)`);
			const paths = new Set(calls.map((c) => new URL(c.url).pathname));
			for (const p of ['/api/v1/health', '/api/v1/system/metrics', '/api/v1/system/container-stats', '/api/v1/sessions/count', '/api/v1/alerts'])
				check(paths.has(p), `polls ${p}`);
			const r = await page.request.get(new URL('api/v1/alerts', URL_).toString());
			const badge = await text(page, '#alerts-count');
			if (r.status() === 200) check(/firing/.test(badge), `alerts from the fallback: "${badge}"`);
			else check(badge === 'unknown', `no alerts route (HTTP ${r.status()}): alerts unknown, "${badge}"`);
			check(/which this server has turned off/.test(await text(page, '#session-list-notice')), 'the sessions list says why it is empty');
			check(!/reconnects/.test(await text(page, '#session-log-paused')), 'no promise of a reconnect');
			await oneLineHeader(page);
			await shot(page, 'refused-1280x800', 1280, 800);
			const other = problems.filter((p) => !/WebSocket|status of (403|404|503)/.test(p));
			check(other.length === 0, other.join('\n'));
			process.stdout.write(`# WebSockets off learned ${learnMs} ms after loading, after ${learnedAfter} handshake(s)\n`);
		});
	},

	// The place left for history charts: without web/history.js the section
	// stays hidden and nothing complains; with one (a stub served by the
	// test) it gets initHistory(section, {fetchJSON}) once and every frame.
	async history() {
		await withBrowser({}, async (page, problems) => {
			// an installation without web/history.js: the server answers 404
			await page.route(/\/history\.js$/, (r) => r.fulfill({ status: 404, body: 'not found' }));
			await mockSocket(page, (ws) => { ws.send(hello()); ws.send(newFrame()); });
			await page.goto(URL_);
			await waitLive(page);
			await page.waitForTimeout(500);
			check(await page.locator('#history').isHidden(), 'no history.js: the section stays hidden');
			check(problems.length === 0, problems.join('\n'));
		});
		await withBrowser({}, async (page, problems) => {
			await page.route(/\/history\.js$/, (r) => r.fulfill({ contentType: 'text/javascript', body: `
				export function initHistory(root, opts) {
					window.__hist = { root: root.id, fetchJSON: typeof opts.fetchJSON, frames: 0 };
					root.hidden = false;
					root.textContent = 'charts here';
				}
				export function historyAppend(frame) { window.__hist.frames++; window.__hist.type = frame.type; }` }));
			const socks = await mockSocket(page, (ws) => { ws.send(hello()); });
			await page.goto(URL_);
			await waitLive(page);
			await until(SLACK, 'initHistory called', async () => await page.evaluate(() => !!window.__hist));
			for (let i = 0; i < 3; i++) socks[0].send(newFrame());
			await until(SLACK, 'every frame appended', async () => await page.evaluate(() => window.__hist.frames) === 3);
			const h = await page.evaluate(() => window.__hist);
			check(h.root === 'history' && h.fetchJSON === 'function' && h.type === 'realtime_update', JSON.stringify(h));
			check(await page.locator('#history').isVisible(), 'history.js shows its section');
			check(problems.length === 0, problems.join('\n'));
		});
	},

	// The page subscribes to the topics of the panels it shows, and pings.
	async subscribe() {
		await withBrowser({}, async (page, problems) => {
			const sent = [], got = [];
			await page.routeWebSocket(/\/ws$/, (ws) => {
				const server = ws.connectToServer();
				ws.onMessage((m) => { sent.push(m); server.send(m); });
				server.onMessage((m) => { got.push(m); ws.send(m); });
			});
			const u = new URL(URL_);
			u.searchParams.set('panels', 'metrics,alerts');
			u.searchParams.set('ping', '1');
			await page.goto(u.toString());
			await waitLive(page);
			await until(SLACK, 'a subscribe message', async () => sent.some((m) => /"subscribe"/.test(m)));
			const sub = JSON.parse(sent.find((m) => /"subscribe"/.test(m)));
			check(JSON.stringify(sub.subscriptions.slice().sort()) === '["metrics","system_alerts"]',
				`subscribed to ${JSON.stringify(sub.subscriptions)}`);
			check(await page.locator('#panel-containers').isHidden(), 'containers panel hidden');
			await until(SLACK, 'a ping and its heartbeat', async () =>
				sent.some((m) => /"ping"/.test(m)) && got.some((m) => /"heartbeat"/.test(m)));
			await until(SLACK, 'a subscribed reply', async () => got.some((m) => /"subscribed"/.test(m)));
			check(problems.length === 0, problems.join('\n'));
		});
	},
};

const name = CASE;
if (!name || !CASES[name]) die(`usage: dashboard.mjs ${Object.keys(CASES).join('|')}`, 100);
if (!URL_ || (!CONTROL && name !== 'refused')) die('KL_URL and KATO_SIM_CONTROL must be set', 100);
try {
	await CASES[name]();
	process.stdout.write(`# ${name}: ok\n`);
} catch (e) {
	die(`${name}: ${e.message}`);
}
