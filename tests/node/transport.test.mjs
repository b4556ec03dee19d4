// The transport state machine (web/transport.js) with a fake clock, fake
// WebSocket and fake fetch: refusal learned at once, the server blamed
// when it is unreachable, too_slow, staleness, and the poll overlap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Transport, describe, inForce } from '../../web/transport.js';

/* A manual clock and timers. */
function fakeEnv() {
	const env = { t: 1000000, timers: new Map(), seq: 0, sockets: [], fetches: [] };
	env.now = () => env.t;
	env.random = () => 1;
	env.setTimeout = (fn, ms) => { const id = ++env.seq; env.timers.set(id, { at: env.t + ms, fn }); return id; };
	env.setInterval = (fn, ms) => { const id = ++env.seq; env.timers.set(id, { at: env.t + ms, fn, every: ms }); return id; };
	env.clearTimeout = env.clearInterval = (id) => env.timers.delete(id);
	env.advance = async (ms) => {
		const end = env.t + ms;
		for (;;) {
			let next = null;
			for (const [id, tm] of env.timers) if (tm.at <= end && (!next || tm.at < next[1].at)) next = [id, tm];
			if (!next) break;
			const [id, tm] = next;
			env.t = tm.at;
			if (tm.every) tm.at += tm.every; else env.timers.delete(id);
			tm.fn();
			await flush();
		}
		env.t = end;
	};
	env.WebSocket = class {
		constructor(url) { this.url = url; this.readyState = 0; this.sent = []; env.sockets.push(this); }
		send(m) { this.sent.push(m); }
		close() { this.readyState = 3; }
		open() { this.readyState = 1; this.onopen && this.onopen(); }
		msg(o) { this.onmessage({ data: typeof o === 'string' ? o : JSON.stringify(o) }); }
		drop() { this.readyState = 3; this.onclose && this.onclose({ code: 1006 }); }
	};
	/* fetch: answers come from env.answer(path) -> {status, body} | 'net' | 'hang' */
	env.answer = () => ({ status: 200, body: { age_ms: 0, stale: [] } });
	env.fetch = (path, opts) => {
		env.fetches.push(path);
		const a = env.answer(path);
		if (a === 'hang') return new Promise((res, rej) => opts.signal.addEventListener('abort', () => rej(Object.assign(new Error('aborted'), { name: 'AbortError' }))));
		if (a === 'net') return Promise.reject(new TypeError('Failed to fetch'));
		return Promise.resolve({ status: a.status, ok: a.status < 300, json: async () => a.body });
	};
	return env;
}

const flush = () => new Promise((r) => setImmediate(r));

function make(env, extra = {}) {
	const polls = [], msgs = [];
	const t = new Transport(Object.assign({ env, wsUrl: 'ws://x/ws', pollMs: 5000, pingMs: 30000,
		panels: ['metrics', 'containers', 'sessions', 'alerts'],
		onPoll: (kind, results, panels) => polls.push({ kind, results, panels }), onMessage: (m) => msgs.push(m) }, extra));
	return { t, polls, msgs };
}

const TOPICS = ['metrics', 'containers', 'sessions', 'session_events', 'system_alerts'];

test('a refused handshake while HTTP answers is learned at once: polling, no fast retries', async () => {
	const env = fakeEnv();
	const { t, polls } = make(env);
	t.start();
	env.sockets[0].drop();          /* 403: closed without ever opening */
	await flush(); await flush();
	assert.equal(t.wsRefused, true);
	assert.equal(polls.length, 1);
	assert.ok(env.fetches.includes('api/v1/alerts'), 'alerts are polled too');
	const d = describe(t, env.t, env.t);
	assert.equal(d.state, 'polling');
	assert.equal(d.text, 'Polling HTTP · WebSocket off');
	assert.doesNotMatch(d.detail, /retry/);
	assert.match(inForce(t), /WEBSOCKET_ENABLED=false/);
	assert.ok(t.retryAt - env.t >= 30000, 'a quiet retry after the longest backoff, not a countdown from 1 s');
	await env.advance(29000);
	assert.equal(env.sockets.length, 1, 'no reconnect storm');
	assert.ok(polls.length >= 6, 'polling every 5 s');
	await env.advance(1000);
	assert.equal(env.sockets.length, 2, 'then one quiet retry');
});

test('a slow server: the refusal is learned even when the first poll answers after a retry began', async () => {
	const env = fakeEnv();
	let release;
	const gate = new Promise((r) => { release = r; });
	env.fetch = (path) => { env.fetches.push(path); return gate.then(() => ({ status: 200, ok: true, json: async () => ({ age_ms: 0 }) })); };
	const { t } = make(env);
	t.start();
	env.sockets[0].drop();
	await env.advance(1200);            /* the first retry fails while the poll runs */
	assert.equal(env.sockets.length, 2);
	env.sockets[1].drop();
	await env.advance(2100);            /* and the second is in flight */
	assert.equal(env.sockets.length, 3);
	release();
	await flush(); await flush(); await flush();
	assert.equal(t.wsRefused, true);
	env.sockets[2].drop();              /* refused again */
	await flush();
	assert.ok(t.retryAt - env.t >= 30000, 'then the quiet retry');
	await env.advance(20000);
	assert.equal(env.sockets.length, 3, 'no retry loop');
});

test('nothing answers: the dashboard server is unreachable (not KATO), retrying', async () => {
	const env = fakeEnv();
	env.answer = () => 'net';
	const { t, polls } = make(env);
	t.start();
	env.sockets[0].drop();
	await flush(); await flush();
	assert.equal(t.wsRefused, false);
	const d = describe(t, null, env.t);
	assert.equal(d.state, 'down');
	assert.equal(d.text, 'Dashboard server unreachable');
	assert.match(d.detail, /retry in \d+ s/);
	assert.equal(polls[0].results['api/v1/health'], undefined);
	assert.ok(polls[0].results['/api/v1/health'].netError);
	/* it comes back: the next WebSocket attempt opens */
	env.answer = () => ({ status: 200, body: { age_ms: 0 } });
	await env.advance(1000);
	assert.equal(env.sockets.length, 2);
	env.sockets[1].open();
	env.sockets[1].msg({ type: 'connected', interval_ms: 3000, topics: TOPICS });
	assert.equal(describe(t, env.t, env.t).state, 'live');
	assert.equal(t.polling, false, 'polling stops once the WebSocket is back');
});

test('a dropped open connection is not a refusal: fallback and backoff', async () => {
	const env = fakeEnv();
	const { t } = make(env);
	t.start();
	env.sockets[0].open();
	env.sockets[0].msg({ type: 'connected', interval_ms: 3000, topics: TOPICS });
	env.sockets[0].drop();
	await flush(); await flush();
	assert.equal(t.wsRefused, false);
	assert.equal(t.polling, true);
	const d = describe(t, env.t, env.t);
	assert.equal(d.text, 'Polling HTTP · WebSocket down');
	assert.match(d.detail, /retry in/);
});

test('the page subscribes to what it shows and the server offers', () => {
	const env = fakeEnv();
	const { t } = make(env, { panels: ['metrics', 'alerts'] });
	t.start();
	env.sockets[0].open();
	env.sockets[0].msg({ type: 'connected', interval_ms: 3000, topics: ['metrics', 'containers'] });
	assert.deepEqual(JSON.parse(env.sockets[0].sent[0]), { type: 'subscribe', subscriptions: ['metrics'] });
	assert.deepEqual(t.pollers.supplement.panels, ['alerts'], 'alerts over HTTP, the server does not send them');
	assert.match(inForce(t), /alerts over HTTP every 5 s/);
});

test('a supplement poll in flight does not swallow the first fallback poll', async () => {
	const env = fakeEnv();
	env.answer = (p) => (p === 'api/v1/alerts' ? 'hang' : { status: 200, body: { age_ms: 0 } });
	const { t, polls } = make(env);
	t.start();
	env.sockets[0].open();
	env.sockets[0].msg({ type: 'connected', interval_ms: 3000, topics: ['metrics', 'containers', 'sessions', 'session_events'] });
	assert.equal(env.fetches.filter((p) => p === 'api/v1/alerts').length, 1, 'supplement poll in flight');
	const before = env.fetches.length;
	env.sockets[0].drop();            /* the WebSocket goes: fallback must poll now */
	await flush(); await flush();
	const now = env.fetches.slice(before);
	assert.ok(now.includes('api/v1/system/metrics') && now.includes('api/v1/system/container-stats'),
		`first fallback poll went out at once: ${now.join(', ')}`);
	assert.equal(polls.filter((p) => p.kind === 'supplement').length, 0, 'the stopped supplement\'s answer is dropped');
});

test('too_slow: "you fell behind", reconnecting at once, not "server unavailable"', async () => {
	const env = fakeEnv();
	const { t } = make(env);
	t.start();
	env.sockets[0].open();
	env.sockets[0].msg({ type: 'connected', interval_ms: 3000, topics: TOPICS });
	await env.advance(60000);          /* a long good connection: no backoff left */
	env.sockets[0].msg({ type: 'error', error: { code: 'too_slow', message: 'you fell behind' } });
	env.sockets[0].drop();
	await flush();
	const d = describe(t, env.t, env.t);
	assert.equal(d.state, 'behind');
	assert.equal(d.text, 'You fell behind · reconnecting');
	assert.ok(t.retryAt - env.t <= 1000, 'reconnects within a second');
	await env.advance(1000);
	env.sockets[1].open();
	env.sockets[1].msg({ type: 'connected', interval_ms: 3000, topics: TOPICS });
	assert.equal(describe(t, env.t, env.t).state, 'live');
});

test('heartbeats are not data: the newest frame older than two ticks is stale', async () => {
	const env = fakeEnv();
	const { t } = make(env);
	t.start();
	env.sockets[0].open();
	env.sockets[0].msg({ type: 'connected', interval_ms: 3000, topics: TOPICS });
	const frameAt = env.t;
	for (let i = 0; i < 40; i++) { await env.advance(1000); env.sockets[0].msg({ type: 'heartbeat' }); }
	const d = describe(t, frameAt, env.t);
	assert.equal(d.state, 'stale');
	assert.equal(d.stale, true);
	assert.equal(d.text, 'No new data', 'the live text does not tick');
	assert.match(d.detail, /^for 40 s/);
	assert.equal(describe(t, env.t - 3000, env.t).state, 'live');
});

test('the "disabled" error from the server\'s backstop means WebSockets are off', async () => {
	const env = fakeEnv();
	const { t } = make(env);
	t.start();
	env.sockets[0].open();
	env.sockets[0].msg({ type: 'error', error: { code: 'disabled', message: 'WebSockets are turned off' } });
	env.sockets[0].drop();
	await flush();
	assert.equal(t.wsRefused, true);
	assert.equal(describe(t, env.t, env.t).text, 'Polling HTTP · WebSocket off');
});
