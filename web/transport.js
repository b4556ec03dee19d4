/*
 * transport.js - how data reaches the page: one WebSocket ("ws" beside the
 * page; kato-sub's protocol, man kato-live(7)), and the HTTP fallback
 * (api/v1/..., kato-snapshot) polled while the WebSocket is down, or refused
 * by the server, or for panels whose topic the server does not offer.
 *
 * The environment (WebSocket, fetch, timers, clock, random) is passed in, so
 * `node --test` drives the state machine with fakes; describe() turns its
 * state into the header's words and is pure.
 *
 * States, as describe() reports them:
 *   connecting   first WebSocket attempt, nothing known yet
 *   live         messages arriving on the WebSocket
 *   polling      the WebSocket is down (reconnecting with backoff) or the
 *                server refused its handshake while its HTTP answers
 *                (WEBSOCKET_ENABLED=false: learned from the first refusal,
 *                then retried only every refusedRetryMs); data over HTTP
 *   behind       the server cut this page off for falling behind (too_slow):
 *                reconnecting at once
 *   down         neither the WebSocket nor the HTTP fallback answers: the
 *                dashboard's own server is unreachable (not KATO)
 *   stale        live or polling, but no frame for more than two ticks
 */

import { isNum, fmtSpan } from './format.js';
import { POLL_PATHS, freshness } from './store.js';

/* Panel -> the WebSocket topics it needs. */
export const PANEL_TOPICS = {
	metrics: ['metrics'],
	containers: ['containers'],
	sessions: ['sessions', 'session_events'],
	alerts: ['system_alerts'],
};

/* The error codes the page tells apart (the server's "error" messages). */
export const CODES = { tooSlow: 'too_slow', hubUnavailable: 'hub_unavailable', timeout: 'timeout',
	badMessage: 'bad_message', streamStalled: 'stream_stalled', disabled: 'disabled' };

/* A handshake failure counts as a refusal when the same server answered a
 * poll that was running at the time, or started at most this long after. */
const REFUSAL_WINDOW_MS = 1500;

export class Transport {
	/*
	 * opts: {
	 *   env: {WebSocket, fetch, setTimeout, clearTimeout, setInterval,
	 *         clearInterval, now, random},
	 *   wsUrl, pingMs, pollMs, backoffBaseMs, backoffMaxMs, refusedRetryMs,
	 *   panels: the panel names shown,
	 *   onMessage(msg), onPoll(kind, results, panels, now), onChange()
	 * }
	 */
	constructor(opts) {
		this.o = Object.assign({ pingMs: 30000, pollMs: 5000, backoffBaseMs: 1000, backoffMaxMs: 30000,
			refusedRetryMs: 30000, onMessage() {}, onPoll() {}, onChange() {} }, opts);
		this.env = opts.env;
		this.panels = [...opts.panels];
		this.ws = null;             /* current socket, or null */
		this.opened = false;        /* the current socket's handshake succeeded */
		this.wsLive = false;        /* a message arrived on the current socket */
		this.attempt = 0;           /* reconnects since the last good connection */
		this.retryAt = null;
		this.retryTimer = null;
		this.pingTimer = null;
		this.lastMsgAt = 0;
		this.intervalMs = 3000;
		this.serverTopics = null;   /* topics the server says are in force */
		this.failAt = null;         /* when the last handshake failed */
		this.wsRefused = false;     /* the server refuses WebSockets, its HTTP answers */
		this.behind = false;        /* cut off as too slow; cleared by the next connected */
		this.reachable = null;      /* the last fallback poll got an HTTP answer (null: none yet) */
		this.pollOkAt = null;       /* last fallback poll with an HTTP answer */
		this.pollers = {};          /* kind -> {timer, gen, ctl, busy, started, panels} */
		this.stopped = false;
	}

	/* ------------------------------------------------------- WebSocket */

	start() { this.connect(); }

	stop() {
		this.stopped = true;
		const e = this.env;
		e.clearTimeout(this.retryTimer);
		e.clearInterval(this.pingTimer);
		for (const k of Object.keys(this.pollers)) this.stopPoll(k);
		if (this.ws) { const s = this.ws; this.ws = null; try { s.close(); } catch (err) { /* closing */ } }
	}

	connect() {
		if (this.stopped) return;
		this.retryTimer = null;
		this.retryAt = null;
		let sock;
		try {
			sock = new this.env.WebSocket(this.o.wsUrl);
		} catch (err) {
			this.handshakeFailed();
			return;
		}
		this.ws = sock;
		this.opened = false;
		this.wsLive = false;
		sock.onopen = () => { if (sock === this.ws) { this.opened = true; this.failAt = null; } };
		sock.onmessage = (ev) => { if (sock === this.ws) this.message(ev.data); };
		sock.onclose = () => {
			if (sock !== this.ws) return;
			this.ws = null;
			if (!this.opened) this.handshakeFailed();
			else this.down();
		};
		sock.onerror = () => { /* onclose follows and handles it */ };
		this.o.onChange();
	}

	send(obj) {
		const s = this.ws;
		if (s && s.readyState === 1) s.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
	}

	/* The handshake did not complete: the server is down, or refuses
	 * WebSockets (403).  The fallback's first answer tells which. */
	handshakeFailed() {
		this.failAt = this.env.now();
		this.down();
		/* a poll started now answers "is the server there?" */
		this.runPoll('fallback');
	}

	up() {
		this.wsLive = true;
		this.attempt = 0;
		this.wsRefused = false;
		this.stopPoll('fallback');
		this.env.clearInterval(this.pingTimer);
		this.pingTimer = this.env.setInterval(() => this.send({ type: 'ping' }), this.o.pingMs);
		this.updateSupplement();
	}

	down() {
		this.wsLive = false;
		this.opened = false;
		this.env.clearInterval(this.pingTimer);
		this.pingTimer = null;
		this.stopPoll('supplement');
		this.startPoll('fallback', this.panels.filter((p) => POLL_PATHS[p]));
		this.scheduleReconnect();
		this.o.onChange();
	}

	/* Exponential backoff with full jitter in [delay/2, delay]; once the
	 * server is known to refuse WebSockets, a quiet retry every
	 * refusedRetryMs (it may be restarted with them on). */
	scheduleReconnect() {
		if (this.retryTimer || this.stopped) return;
		let delay;
		if (this.wsRefused) {
			delay = this.o.refusedRetryMs;
		} else if (this.behind) {
			delay = Math.round(this.o.backoffBaseMs / 2 + this.env.random() * this.o.backoffBaseMs / 2);
		} else {
			const cap = Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * Math.pow(2, this.attempt));
			delay = Math.round(cap / 2 + this.env.random() * cap / 2);
			this.attempt++;
		}
		this.retryAt = this.env.now() + delay;
		this.retryTimer = this.env.setTimeout(() => this.connect(), delay);
	}

	rescheduleReconnect() {
		this.env.clearTimeout(this.retryTimer);
		this.retryTimer = null;
		this.scheduleReconnect();
	}

	/* No message at all for this long (frames every tick, heartbeats answer
	 * pings): the connection is dead even if TCP has not noticed yet.  Run
	 * it every second. */
	watchdog() {
		if (!this.ws || !this.wsLive) return;
		const limit = Math.max(this.o.pingMs * 2 + 5000, this.intervalMs * 10);
		if (this.env.now() - this.lastMsgAt > limit) {
			const s = this.ws;
			this.ws = null;
			try { s.close(); } catch (err) { /* already closing */ }
			this.down();
		}
	}

	wantedTopics() {
		const t = [];
		for (const p of this.panels) t.push(...(PANEL_TOPICS[p] || []));
		return t;
	}

	message(text) {
		this.lastMsgAt = this.env.now();
		let msg;
		try { msg = JSON.parse(text); } catch (err) { return; }   /* not JSON: nothing for us */
		if (!msg || typeof msg !== 'object') return;
		if (!this.wsLive) this.up();
		if (msg.type === 'connected') {
			if (isNum(msg.interval_ms) && msg.interval_ms > 0) this.intervalMs = msg.interval_ms;
			this.serverTopics = Array.isArray(msg.topics) ? msg.topics.filter((t) => typeof t === 'string') : null;
			this.behind = false;
			this.send({ type: 'subscribe', subscriptions: this.wantedTopics().filter((t) => !this.serverTopics || this.serverTopics.includes(t)) });
			this.updateSupplement();
		} else if (msg.type === 'realtime_update') {
			if (isNum(msg.interval_ms) && msg.interval_ms > 0) this.intervalMs = msg.interval_ms;
		} else if (msg.type === 'error' && msg.error && typeof msg.error === 'object') {
			if (msg.error.code === CODES.tooSlow) this.behind = true;
			if (msg.error.code === CODES.disabled) { this.wsRefused = true; this.rescheduleReconnect(); }
		}
		this.o.onMessage(msg);
		this.o.onChange();
	}

	/* ----------------------------------------------------------- polling */

	/* Panels whose topics the server does not offer over the WebSocket (a
	 * feature flag turned them off) are polled over HTTP while it is up. */
	supplementPanels() {
		if (!this.serverTopics) return [];
		return this.panels.filter((p) => POLL_PATHS[p] && PANEL_TOPICS[p] &&
			!PANEL_TOPICS[p].some((t) => this.serverTopics.includes(t)));
	}

	updateSupplement() {
		const need = this.supplementPanels();
		const cur = this.pollers.supplement;
		if (cur && cur.panels.join() === need.join()) return;
		this.stopPoll('supplement');
		if (need.length) this.startPoll('supplement', need);
	}

	get polling() { return !!this.pollers.fallback; }

	/* Poll panels every pollMs under kind ("fallback", "supplement"); each
	 * kind has its own in-flight guard, so one never swallows the other. */
	startPoll(kind, panels) {
		if (this.pollers[kind] || !panels.length) return;
		const p = { gen: 0, ctl: null, busy: false, started: 0, panels };
		p.timer = this.env.setInterval(() => this.runPoll(kind), this.o.pollMs);
		this.pollers[kind] = p;
		if (kind === 'fallback') { this.pollOkAt = null; this.reachable = null; }
		this.runPoll(kind);
	}

	stopPoll(kind) {
		const p = this.pollers[kind];
		if (!p) return;
		this.env.clearInterval(p.timer);
		p.gen++;                         /* late answers are dropped */
		if (p.ctl) p.ctl.abort();
		delete this.pollers[kind];
		if (kind === 'fallback') this.pollOkAt = null;
	}

	async runPoll(kind) {
		const p = this.pollers[kind];
		if (!p || p.busy) return;
		p.busy = true;
		const gen = p.gen;
		const started = this.env.now();
		const ctl = new AbortController();
		p.ctl = ctl;
		const timer = this.env.setTimeout(() => ctl.abort(), Math.max(1000, this.o.pollMs - 500));
		const paths = [];
		for (const panel of p.panels) paths.push(...POLL_PATHS[panel]);
		const results = {};
		await Promise.all(paths.map((path) => this.fetchOne(path, ctl.signal).then((r) => { results[path] = r; })));
		this.env.clearTimeout(timer);
		p.busy = false;
		if (p.ctl === ctl) p.ctl = null;
		if (this.pollers[kind] !== p || gen !== p.gen) return;   /* stopped meanwhile */
		const now = this.env.now();
		if (kind === 'fallback') {
			const reachable = Object.values(results).some((r) => !r.netError);
			this.reachable = reachable;
			if (reachable) this.pollOkAt = now;
			if (reachable && !this.wsRefused && this.failAt !== null &&
			    this.failAt >= started - REFUSAL_WINDOW_MS && this.failAt <= now) {
				/* the server answers HTTP but refused the handshake (a
				 * retry may be in flight already: if it opens, up()
				 * clears this) */
				this.wsRefused = true;
				this.rescheduleReconnect();
			}
		}
		this.o.onPoll(kind, results, p.panels, now);
		this.o.onChange();
	}

	/* One GET: {status, body} for any HTTP answer (body null if not JSON),
	 * {netError} when there was none. */
	async fetchOne(path, signal) {
		let r;
		try {
			r = await this.env.fetch(path.replace(/^\//, ''), { signal, cache: 'no-store', headers: { Accept: 'application/json' } });
		} catch (err) {
			return { netError: err && err.name === 'AbortError' ? `GET ${path}: timed out` : `GET ${path}: ${(err && err.message) || 'network error'}` };
		}
		let body = null;
		try { body = await r.json(); } catch (err) { body = null; }
		return { status: r.status, body };
	}
}

/*
 * The header's words for the transport's state and the stream's freshness:
 * {state, text, detail}.  text is short (one line at 375 px) and changes
 * only when the state does (it is a live region); detail carries what ticks
 * (ages, countdowns).  frameAt: when the newest frame arrived (client ms).
 */
export function describe(t, frameAt, now) {
	/* frames come every tick, or every poll while the fallback answers */
	const tick = t.polling && t.reachable ? Math.max(t.o.pollMs, t.intervalMs) : t.intervalMs;
	const f = freshness(frameAt, now, tick);
	const retry = t.retryAt !== null && !t.wsRefused ? 'retry in ' + fmtSpan(Math.max(0, t.retryAt - now)) : null;
	const age = f.none ? 'no data yet' : 'updated ' + fmtSpan(f.ageMs) + ' ago';
	let state, text, detail;
	if (t.behind && !t.wsLive) {
		state = 'behind'; text = 'You fell behind · reconnecting'; detail = retry || age;
	} else if (t.wsLive || (t.polling && t.reachable)) {
		state = t.wsLive ? 'live' : 'polling';
		text = t.wsLive ? 'Live' : t.wsRefused ? 'Polling HTTP · WebSocket off' : 'Polling HTTP · WebSocket down';
		detail = t.wsLive || t.wsRefused ? age : [age, retry].filter(Boolean).join(' · ');
		if (f.stale) {
			/* "No new data" + "for 40 s": the live text stays put while the age ticks */
			state = 'stale';
			text = 'No new data';
			detail = 'for ' + fmtSpan(f.ageMs) + (t.wsLive ? ' · WebSocket open' : ' · polling HTTP');
		}
	} else if (t.reachable === false || (t.attempt > 0 && !t.ws)) {
		state = 'down'; text = 'Dashboard server unreachable';
		detail = [f.none ? null : 'no data for ' + fmtSpan(f.ageMs), retry].filter(Boolean).join(' · ');
	} else {
		state = 'connecting'; text = 'Connecting…'; detail = age;
	}
	return { state, text, detail, stale: f.stale, ageMs: f.ageMs };
}

/* The footer's account of what is in force. */
export function inForce(t) {
	const every = (ms) => Math.round(ms / 100) / 10 + ' s';
	const poll = every(t.o.pollMs);
	if (t.wsLive) {
		const sup = t.pollers.supplement ? t.pollers.supplement.panels : [];
		return `Live over WebSocket, a frame every ${every(t.intervalMs)}` +
			(sup.length ? `; ${sup.join(', ')} over HTTP every ${poll} (not offered over the WebSocket)` : '');
	}
	if (t.wsRefused)
		return `The server refuses WebSockets (WEBSOCKET_ENABLED=false): everything, alerts included, over HTTP every ${poll}`;
	if (t.polling)
		return `WebSocket down: HTTP fallback every ${poll} while it reconnects`;
	return 'WebSocket connecting; HTTP fallback every ' + poll + ' if it is down';
}
