/*
 * format.js - numbers, sizes, times and ids for people.  Pure functions: no
 * DOM, no clock (the caller passes "now"), so `node --test` runs them.
 *
 * Rules: a value that is not a finite number is unknown and is shown as DASH,
 * never as 0.  Sizes are binary (1 KiB = 1024 B), labelled KiB/MiB/GiB/TiB as
 * `docker stats` does.
 */

export const DASH = '—';

export function isNum(v) { return typeof v === 'number' && Number.isFinite(v); }

/* obj's value at a dotted path, or undefined. */
export function get(obj, path) {
	let o = obj;
	for (const k of path.split('.')) {
		if (o === null || typeof o !== 'object') return undefined;
		o = o[k];
	}
	return o;
}

/* obj's number at a dotted path, or null when absent or not a number. */
export function num(obj, path) {
	const v = get(obj, path);
	return isNum(v) ? v : null;
}

export function fmtPct(v, digits) {
	if (!isNum(v)) return DASH;
	const d = digits !== undefined ? digits : (Math.abs(v) < 100 ? 1 : 0);
	return v.toFixed(d) + ' %';
}

const BIN_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/* Bytes in binary units: "512 B", "1.5 KiB", "23 MiB", "1.2 GiB". */
export function fmtBytes(v) {
	if (!isNum(v)) return DASH;
	let i = 0, x = Math.abs(v);
	while (x >= 1024 && i < BIN_UNITS.length - 1) { x /= 1024; i++; }
	/* 1023.96 KiB would print as "1024 KiB": carry it to the next unit */
	if (i > 0 && x >= 9.95 && Math.round(x) >= 1024 && i < BIN_UNITS.length - 1) { x /= 1024; i++; }
	const s = i === 0 ? String(Math.round(x)) : x < 9.95 ? x.toFixed(1) : String(Math.round(x));
	return (v < 0 ? '-' : '') + s + ' ' + BIN_UNITS[i];
}

/* Bytes per second: "1.5 KiB/s". */
export function fmtByteRate(v) {
	return isNum(v) ? fmtBytes(v) + '/s' : DASH;
}

export function fmtCount(v) {
	if (!isNum(v)) return DASH;
	return Math.round(v).toLocaleString('en-US');
}

/* A rate such as requests per second: more digits when small. */
export function fmtRate(v) {
	if (!isNum(v)) return DASH;
	if (v === 0) return '0';
	if (Math.abs(v) < 10) return v.toFixed(2);
	if (Math.abs(v) < 100) return v.toFixed(1);
	return Math.round(v).toLocaleString('en-US');
}

/* A span of seconds: "42 s", "3 min 5 s", "2 h 2 min", "4 d 1 h". */
export function fmtDuration(sec) {
	if (!isNum(sec) || sec < 0) return DASH;
	sec = Math.floor(sec);
	const d = Math.floor(sec / 86400), h = Math.floor(sec % 86400 / 3600),
	      m = Math.floor(sec % 3600 / 60), s = sec % 60;
	if (d) return d + ' d ' + h + ' h';
	if (h) return h + ' h ' + m + ' min';
	if (m) return m + ' min ' + s + ' s';
	return s + ' s';
}

/* A short span of milliseconds, rounded to what a person reads at a glance:
 * "40 s", "3 min", "2 h", "5 d". */
export function fmtSpan(ms) {
	if (!isNum(ms)) return DASH;
	const s = Math.max(0, Math.round(ms / 1000));
	if (s < 60) return s + ' s';
	if (s < 3600) return Math.floor(s / 60) + ' min';
	if (s < 86400) return Math.floor(s / 3600) + ' h';
	return Math.floor(s / 86400) + ' d';
}

export function fmtAgo(ms) {
	return isNum(ms) ? fmtSpan(ms) + ' ago' : DASH;
}

/* Time until a moment: "in 59 min", or "expired" once it has passed. */
export function fmtIn(ms) {
	if (!isNum(ms)) return DASH;
	return ms <= 0 ? 'expired' : 'in ' + fmtSpan(ms);
}

/* Wall-clock time of day, 24 h, in the viewer's zone. */
export function fmtClock(t) {
	const d = new Date(t);
	if (t === null || t === undefined || isNaN(d)) return DASH;
	return d.toLocaleTimeString('en-GB', { hour12: false });
}

/* ms since the epoch from an ISO string, epoch seconds or epoch ms; null if
 * it is none of those. */
export function parseTime(ts) {
	if (isNum(ts)) return ts < 1e12 ? ts * 1000 : ts;
	if (typeof ts !== 'string' || ts === '') return null;
	const t = Date.parse(ts);
	return isNaN(t) ? null : t;
}

/*
 * A session id short enough for a table cell.  KATO's ids are
 * session-<32 hex>-<unix ms>: "session-1a2b3c4d…".  Other long ids keep
 * their first 16 characters.  The full id goes in a title / on focus.
 */
export function shortId(id) {
	const s = String(id);
	const m = /^session-([0-9a-f]{32})-\d+$/i.exec(s);
	if (m) return 'session-' + m[1].slice(0, 8) + '…';
	return s.length > 20 ? s.slice(0, 16) + '…' : s;
}
