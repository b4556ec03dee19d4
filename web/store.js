/*
 * store.js - what the page knows, apart from how it is drawn: staleness of
 * the stream, alert thresholds, the sessions list, the alerts, and the HTTP
 * fallback's answers turned into a frame.  Pure (no DOM, no timers; "now" is
 * passed in), so `node --test` runs it.
 */

import { isNum, num, parseTime } from './format.js';

/* The frame is stale when the newest one is older than this many ticks (plus
 * a little for the network and a loaded machine): heartbeats do not count. */
export const STALE_TICKS = 2;
export const STALE_GRACE_MS = 500;

/* How long since the newest frame, and whether that is stale.  frameAt: the
 * client time the newest frame arrived (null: none yet); tickMs: the period
 * frames come at (the poll period when polling). */
export function freshness(frameAt, now, tickMs) {
	if (!isNum(frameAt)) return { ageMs: null, stale: false, none: true };
	const ageMs = Math.max(0, now - frameAt);
	return { ageMs, stale: ageMs > STALE_TICKS * tickMs + STALE_GRACE_MS, none: false };
}

/* Which collector feeds which panel (the frame's "stale" list and "sources"
 * name them).  Sessions come from kato-sessions (KATO's Redis) where it is
 * configured, else from session-summary. */
export const SOURCE_OF = { metrics: ['kato-metrics'], containers: ['docker-stats'],
	sessions: ['kato-sessions', 'session-summary'] };

/* The source that feeds panel in this frame: the first of SOURCE_OF[panel]
 * the frame names in "sources", else the last (the default). */
export function sourceOf(panel, sources) {
	const list = SOURCE_OF[panel];
	if (sources && typeof sources === 'object')
		for (const s of list) if (s in sources) return s;
	return list[list.length - 1];
}

/* Is the sessions list (kato-sessions) stale in this frame?  It is when the
 * frame lists kato-sessions as stale or its newest record failed. */
export function sessionListStale(frame) {
	const stale = Array.isArray(frame && frame.stale) ? frame.stale : [];
	if (stale.includes('kato-sessions')) return true;
	const s = frame && frame.sources && frame.sources['kato-sessions'];
	return !!(s && typeof s === 'object' && s.ok === false);
}

/* ---------------------------------------------------------- thresholds */

/* The server's defaults (ALERT_CPU_THRESHOLD, ALERT_MEMORY_THRESHOLD,
 * ALERT_ERROR_RATE_THRESHOLD), used only when a frame carries none. */
export const DEFAULT_THRESHOLDS = {
	cpu_percent: 80, memory_percent: 85, error_rate: 0.05,
	host_cpu_percent: 80, host_memory_percent: 85,
};

/* The thresholds in force for a frame's data: {values, fromServer, defaulted}
 * (defaulted: the keys the server did not send). */
export function thresholdsOf(data) {
	const t = data && data.thresholds && typeof data.thresholds === 'object' ? data.thresholds : null;
	const values = {}, defaulted = [];
	for (const k of Object.keys(DEFAULT_THRESHOLDS)) {
		if (t && isNum(t[k])) values[k] = t[k];
		else { values[k] = DEFAULT_THRESHOLDS[k]; defaulted.push(k); }
	}
	return { values, fromServer: !!t && defaulted.length < Object.keys(DEFAULT_THRESHOLDS).length, defaulted };
}

/* Colour level of a value against its alert threshold: at or above it
 * "bad", within 10 % below it "warn", else "ok"; unknown when not a number. */
export function levelFor(v, threshold) {
	if (!isNum(v)) return 'unknown';
	if (!isNum(threshold)) return 'ok';
	if (v >= threshold) return 'bad';
	if (v >= threshold * 0.9) return 'warn';
	return 'ok';
}

/* ------------------------------------------------------------ sessions */

export const SESSIONS_MAX = 100000;   /* as many as the hub keeps */
const ID_MAX = 256;

function isoOrNull(v) { return typeof v === 'string' && parseTime(v) !== null ? v : null; }
function numOrNull(v) { return isNum(v) ? v : null; }

/*
 * The list of KATO's sessions, from session_update messages: the hub sends
 * the retained ones first, then deltas.  op "added"/"updated" upsert by
 * session_id, "removed" deletes, "reset" (a new kato-sessions upstream; the
 * whole list follows) forgets every session.  Each entry keeps when it was received, so
 * "expires in" can follow ttl_ms when expires_at is absent.
 */
export class SessionList {
	constructor(max = SESSIONS_MAX) {
		this.map = new Map();
		this.max = max;
		this.seq = 0;          /* arrival order, for ids without created_at */
		this.dropped = 0;      /* messages that were not valid */
	}

	get size() { return this.map.size; }

	/* Apply one session_update; returns "added", "updated", "removed",
	 * "reset" or null when the message was not valid or removed an
	 * unknown id. */
	apply(msg, now) {
		const s = msg && msg.session;
		const op = msg && (msg.op || (s && s.op));
		if (op === 'reset') { this.map.clear(); return 'reset'; }
		if (!s || typeof s !== 'object' || typeof s.session_id !== 'string' ||
		    s.session_id === '' || s.session_id.length > ID_MAX ||
		    !['added', 'updated', 'removed'].includes(op)) {
			this.dropped++;
			return null;
		}
		const id = s.session_id;
		if (op === 'removed') return this.map.delete(id) ? 'removed' : null;
		const old = this.map.get(id);
		if (!old && this.map.size >= this.max) { this.dropped++; return null; }
		const e = {
			session_id: id,
			node_id: typeof s.node_id === 'string' ? s.node_id : null,
			created_at: isoOrNull(s.created_at),
			last_accessed: isoOrNull(s.last_accessed),
			expires_at: isoOrNull(s.expires_at),
			ttl_ms: numOrNull(s.ttl_ms),
			access_count: numOrNull(s.access_count),
			received: now,
			seq: old ? old.seq : ++this.seq,
		};
		this.map.set(id, e);
		return old ? 'updated' : 'added';
	}

	clear() { this.map.clear(); }

	/* The first n entries, newest first (by created_at, then arrival). */
	newest(n = Infinity) {
		const key = (e) => parseTime(e.created_at) ?? -Infinity;
		const all = [...this.map.values()];
		all.sort((a, b) => (key(b) - key(a)) || (b.seq - a.seq));
		return all.slice(0, n);
	}
}

/* When a session expires (ms since the epoch), or null if unknown:
 * expires_at, else its ttl_ms counted from when the entry arrived. */
export function expiresAt(e) {
	const t = parseTime(e.expires_at);
	if (t !== null) return t;
	return isNum(e.ttl_ms) && isNum(e.received) ? e.received + e.ttl_ms : null;
}

/* ------------------------------------------------------------- alerts */

export const RESOLVED_MAX = 50;

/* An alert's identity: its id, else the message's id (when it carries one
 * alert), else type and subject. */
export function alertId(a, msgId) {
	if (typeof a.id === 'string' && a.id) return a.id;
	if (msgId) return msgId;
	const who = a.container || a.source;
	return String(a.type || 'alert') + (who ? ':' + who : '');
}

/* Firing and resolved alerts, from system_alert and active_alerts messages
 * (and the HTTP fallback's /api/v1/alerts, which answers like the latter). */
export class AlertBook {
	constructor() {
		this.firing = new Map();   /* id -> {alert, since} */
		this.resolved = [];        /* newest first: {alert, since, at} */
	}

	systemAlert(msg, now) {
		const at = parseTime(msg.timestamp) ?? now;
		const list = Array.isArray(msg.alerts) ? msg.alerts : [];
		for (const a of list) {
			if (!a || typeof a !== 'object') continue;
			const id = alertId(a, list.length === 1 ? msg.id : null);
			const state = a.state || msg.state || 'firing';
			const was = this.firing.get(id);
			const since = parseTime(a.since) ?? (was ? was.since : null);
			if (state === 'resolved') {
				this.firing.delete(id);
				const old = was ? was.alert : {};
				/* a resolved alert says "info": keep the level it fired with */
				this.resolved.unshift({ alert: Object.assign({}, a, { level: old.level || a.level }), since, at });
				if (this.resolved.length > RESOLVED_MAX) this.resolved.length = RESOLVED_MAX;
			} else {
				this.firing.set(id, { alert: a, since: since ?? at });
			}
		}
	}

	/* The whole set firing now replaces what the page had. */
	activeAlerts(msg, now) {
		const at = parseTime(msg.timestamp) ?? now;
		const list = Array.isArray(msg.alerts) ? msg.alerts : [];
		const next = new Map();
		for (const a of list) {
			if (!a || typeof a !== 'object') continue;
			const id = alertId(a, null);
			const was = this.firing.get(id);
			next.set(id, { alert: a, since: parseTime(a.since) ?? (was ? was.since : at) });
		}
		this.firing = next;
	}

	/* Firing alerts newest first. */
	firingList() { return [...this.firing.values()].sort((x, y) => y.since - x.since); }

	/* Container name -> the worst level firing for it ("error" over "warning"). */
	byContainer() {
		const m = new Map();
		for (const { alert } of this.firing.values()) {
			if (typeof alert.container !== 'string' || !alert.container) continue;
			const name = alert.container.replace(/^\//, '');
			if (m.get(name) !== 'error') m.set(name, alert.level === 'error' ? 'error' : 'warning');
		}
		return m;
	}
}

/* ------------------------------------------------------ HTTP fallback */

/* The fallback's paths per panel (kato-snapshot, man kato-snapshot(1)). */
export const POLL_PATHS = {
	metrics: ['/api/v1/health', '/api/v1/system/metrics'],
	containers: ['/api/v1/system/container-stats'],
	sessions: ['/api/v1/sessions/count'],
	alerts: ['/api/v1/alerts'],
};

/*
 * Turn one round of fallback answers into a frame the panels take like a
 * realtime_update.  results: path -> {status, body} (an HTTP answer; body
 * null when it was not JSON) or {netError: text} (no answer at all).
 *
 * It blames the right thing: a section kato-snapshot reports in error
 * (HTTP 503 naming the "source") is that section's error, shown in its
 * panel; an answer without a source (the hub down, no frame yet) or no
 * answer at all is the dashboard server's problem, reported in "server"
 * and kept out of the panels, which keep their last values and go stale.
 *
 * Returns {data, stale, sources, frameAt, server, reachable, alerts}:
 * frameAt is the client time of the newest frame behind the answers (now
 * minus their age_ms), null when none carried data; server is the text of
 * the dashboard-side problem or null; reachable says some HTTP answer came
 * back; alerts is an active_alerts-like object, null if not polled, or
 * {unknown: text} when the server has no alerts route or it failed.
 */
export function fallbackFrame(results, panels, now) {
	const data = {}, stale = new Set(), server = [];
	let sources = {}, frameAt = null, reachable = false, alerts = null;
	const take = (path) => {
		const r = results[path];
		if (!r) return undefined;
		if (r.netError) { server.push(r.netError); return undefined; }
		reachable = true;
		const b = r.body && typeof r.body === 'object' ? r.body : null;
		if (r.status >= 200 && r.status < 300 && b) {
			if (Array.isArray(b.stale)) for (const x of b.stale) if (typeof x === 'string') stale.add(x);
			const age = num(b, 'age_ms');
			const at = age !== null ? now - age : now;
			if (frameAt === null || at > frameAt) frameAt = at;
			return b;
		}
		const why = b && typeof b.error === 'string' ? b.error : b && typeof b.detail === 'string' ? b.detail : null;
		const text = why ? `${why} (HTTP ${r.status})` : `GET ${path}: HTTP ${r.status}`;
		if (b && typeof b.source === 'string') {
			if (b.stale === true) stale.add(b.source);
			return { error: text };
		}
		server.push(text);
		return undefined;
	};
	if (panels.includes('metrics')) {
		const h = take('/api/v1/health');
		if (h && !h.error) {
			/* {"status", "kato": <KATO /health body>|null, "sources", ...} */
			data.health = 'kato' in h ? (h.kato === null ? { error: 'no health from KATO' } : h.kato) : h;
			if (h.sources && typeof h.sources === 'object') sources = h.sources;
		} else if (h) {
			data.health = h;
		}
		const m = take('/api/v1/system/metrics');
		if (m !== undefined) data.metrics = m;
		if (data.health === undefined) delete data.health;
	}
	if (panels.includes('containers')) {
		const c = take('/api/v1/system/container-stats');
		if (c !== undefined) data.containers = c;
	}
	if (panels.includes('sessions')) {
		const s = take('/api/v1/sessions/count');
		if (s !== undefined)
			data.sessions = s.error ? s : { active_count: num(s, 'active_count') ?? num(s, 'active_session_count'),
			                                total_count: num(s, 'total_count') };
	}
	if (panels.includes('alerts')) {
		const r = results['/api/v1/alerts'];
		if (r && !r.netError) {
			reachable = true;
			const b = r.body && typeof r.body === 'object' ? r.body : null;
			if (r.status >= 200 && r.status < 300 && b && Array.isArray(b.alerts))
				alerts = { type: 'active_alerts', timestamp: b.timestamp, alerts: b.alerts };
			else if (r.status === 404)
				alerts = { unknown: 'this server has no /api/v1/alerts' };
			else
				alerts = { unknown: (b && typeof b.error === 'string' ? b.error : 'GET /api/v1/alerts') + ` (HTTP ${r.status})` };
		} else if (r) {
			alerts = { unknown: r.netError };
		}
	}
	return { data, stale: [...stale], sources, frameAt, server: server.length ? [...new Set(server)].join('; ') : null,
		reachable, alerts };
}
