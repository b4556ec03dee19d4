/*
 * histdata.js - the history charts' data, without a DOM: which series each
 * chart shows, the ranges, the step a range asks for, turning an
 * /api/v1/history answer into uPlot's columns, appending live frames (a
 * missing tick becomes a gap, never a line), and units.  Pure functions:
 * `node --test` runs them.
 *
 * uPlot data: [times (unix seconds), series1, series2, ...], null = no value.
 */

export const RANGES = [
	{ id: '10m', label: '10 min', secs: 600 },
	{ id: '1h', label: '1 h', secs: 3600 },
	{ id: '6h', label: '6 h', secs: 6 * 3600 },
	{ id: '24h', label: '24 h', secs: 24 * 3600 },
	{ id: '7d', label: '7 d', secs: 7 * 86400 },
];

/* The store's tiers: 3 s steps for the last hour, 60 s for 7 days, 1 h
 * for 90 days. */
export const FINE_STEP = 3;
export const FINE_SPAN = 3600;
export const COARSE_STEP = 60;
export const HOUR_STEP = 3600;
/* Ranges longer than this ask for hour steps: the store answers them from
 * its hour rows (a 7 d chart: 168 points, each with its min and max). */
export const HOUR_RANGE = 24 * 3600;

/* Each chart: a title, a unit, and series (fixed keys, or a pattern with
 * one "*" that is a container's name; all of a pattern's lines share the
 * chart's one scale).  scale multiplies stored values for display. */
export const CHARTS = [
	{ id: 'requests', title: 'KATO requests', unit: 'req/s',
	  series: [{ key: 'kato.requests_per_second', label: 'requests/s' }] },
	{ id: 'errors', title: 'KATO error rate', unit: '%',
	  series: [{ key: 'kato.error_rate', label: 'error rate', scale: 100 }] },
	{ id: 'latency', title: 'KATO response time', unit: 'ms',
	  series: [{ key: 'kato.response_time_s', label: 'average', scale: 1000 }] },
	{ id: 'host', title: 'Host', unit: '%',
	  series: [{ key: 'host.cpu_percent', label: 'CPU' },
	           { key: 'host.memory_percent', label: 'memory' },
	           { key: 'host.disk_percent', label: 'disk' }] },
	{ id: 'sessions', title: 'Active sessions', unit: 'count',
	  series: [{ key: 'sessions.active', label: 'sessions' }] },
	{ id: 'ccpu', title: 'Container CPU', unit: '%',
	  series: [{ pattern: 'container.*.cpu_percent' }] },
	{ id: 'cmem', title: 'Container memory', unit: 'bytes',
	  series: [{ pattern: 'container.*.memory_bytes' }] },
	{ id: 'cnet', title: 'Container network in', unit: 'B/s',
	  series: [{ pattern: 'container.*.rx_bytes_per_s' }] },
];

/* Where a live frame holds each stored series (as kato-history reads it). */
const FRAME_PATHS = {
	'kato.requests_per_second': ['metrics', 'rates.requests_per_second'],
	'kato.error_rate': ['metrics', 'performance.error_rate'],
	'kato.response_time_s': ['metrics', 'performance.average_response_time'],
	'host.cpu_percent': ['metrics', 'resources.cpu_percent'],
	'host.memory_percent': ['metrics', 'resources.memory_percent'],
	'host.disk_percent': ['metrics', 'resources.disk_percent'],
	'sessions.active': ['sessions', 'active_count'],
};
const CONTAINER_PATHS = {
	cpu_percent: 'cpu',
	memory_bytes: 'memory.usage_bytes',
	rx_bytes_per_s: 'network.rx_bytes_per_s',
};

function isNum(v) { return typeof v === 'number' && Number.isFinite(v); }

function get(obj, path) {
	let o = obj;
	for (const k of path.split('.')) {
		if (o === null || typeof o !== 'object') return undefined;
		o = o[k];
	}
	return o;
}

/* The series= list for the charts. */
export function seriesParam(charts = CHARTS) {
	const keys = [];
	for (const c of charts) for (const s of c.series) keys.push(s.key || s.pattern);
	return keys.join(',');
}

/* The step (seconds) to ask for: the tier's own when it gives at most
 * maxPoints points, else a wider multiple of it. */
export function stepFor(rangeSecs, maxPoints = 1200) {
	const tier = rangeSecs <= FINE_SPAN ? FINE_STEP
		: rangeSecs <= HOUR_RANGE ? COARSE_STEP : HOUR_STEP;
	const want = Math.ceil(rangeSecs / maxPoints);
	return Math.max(tier, Math.ceil(want / tier) * tier);
}

/* The query path for the range ending now.  Times are relative (a
 * negative since): the server's clock decides, so a browser whose clock is
 * off still gets the last hour at 3 s. */
export function historyPath(rangeSecs, charts = CHARTS) {
	return `/api/v1/history?since=-${rangeSecs}&step=${stepFor(rangeSecs)}` +
		`&series=${encodeURIComponent(seriesParam(charts))}`;
}

export function eventsPath(rangeSecs) {
	return `/api/v1/events?since=-${rangeSecs}`;
}

function matchPattern(pattern, key) {
	const star = pattern.indexOf('*');
	if (star < 0) return key === pattern ? '' : null;
	const pre = pattern.slice(0, star), post = pattern.slice(star + 1);
	if (key.length <= pre.length + post.length || !key.startsWith(pre) || !key.endsWith(post)) return null;
	return key.slice(pre.length, key.length - post.length);
}

/* The lines of chart in an answer: [{key, label, scale}], patterns
 * expanded to one line per container, sorted by name. */
export function chartLines(chart, answerSeries) {
	const lines = [];
	for (const s of chart.series) {
		if (s.key) { lines.push({ key: s.key, label: s.label, scale: s.scale || 1 }); continue; }
		const names = [];
		for (const k of Object.keys(answerSeries || {})) {
			const name = matchPattern(s.pattern, k);
			if (name) names.push({ key: k, label: name, scale: s.scale || 1 });
		}
		names.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
		lines.push(...names);
	}
	return lines;
}

/* uPlot columns for chart from an answer {step, time, series}. */
export function toColumns(chart, answer) {
	const lines = chartLines(chart, answer.series);
	const time = Array.isArray(answer.time) ? answer.time.slice() : [];
	const cols = [time];
	for (const l of lines) {
		const src = (answer.series || {})[l.key] || [];
		cols.push(time.map((_, i) => (isNum(src[i]) ? src[i] * l.scale : null)));
	}
	return { lines, data: cols, step: isNum(answer.step) ? answer.step : FINE_STEP };
}

/* A live frame's value for a stored series key, or null. */
export function frameValue(frame, key) {
	const data = frame && frame.data;
	const stale = Array.isArray(frame && frame.stale) ? frame.stale : [];
	if (FRAME_PATHS[key]) {
		const [section, path] = FRAME_PATHS[key];
		if (section === 'metrics' && stale.some((s) => String(s).includes('kato-metrics'))) return null;
		if (section === 'sessions' && stale.some((s) => String(s).includes('session'))) return null;
		const sec = data && data[section];
		if (!sec || typeof sec !== 'object' || (section !== 'metrics' && sec.error != null)) return null;
		const v = get(sec, path);
		return isNum(v) ? v : null;
	}
	const m = /^container\.(.+)\.([a-z_]+)$/.exec(key);
	/* "docker-stats" itself: no host reports; "docker-stats@HOST" is one */
	if (!m || !CONTAINER_PATHS[m[2]] || stale.includes('docker-stats')) return null;
	const list = get(data, 'containers.containers');
	if (!Array.isArray(list)) return null;
	const many = manyHosts(frame);
	const c = list.find((e) => e && containerKey(e, many) === m[1]);
	if (!c || c.stale === true) return null; /* a stopped host's: a gap */
	const v = get(c, CONTAINER_PATHS[m[2]]);
	return isNum(v) ? v : null;
}

/* Whether a frame holds the containers of two or more Docker hosts. */
function manyHosts(frame) {
	const h = get(frame, 'data.containers.hosts');
	return !!h && typeof h === 'object' && !Array.isArray(h) && Object.keys(h).length > 1;
}

/* A container's name in series names, as kato-history stores it: NAME, or
 * HOST/NAME when the frame holds two or more Docker hosts. */
function containerKey(c, many) {
	if (typeof c.name !== 'string') return null;
	return many && typeof c.host === 'string' && c.host ? c.host + '/' + c.name : c.name;
}

/* Container names in a frame (for lines a chart does not have yet). */
export function frameContainers(frame) {
	const list = get(frame, 'data.containers.containers');
	const many = manyHosts(frame);
	return Array.isArray(list) ? list.map((c) => c && containerKey(c, many)).filter((n) => typeof n === 'string') : [];
}

/* Append a live frame at t (unix seconds) to columns {lines, data, step}
 * in place, keeping at most rangeSecs.  A frame more than 1.5 steps after
 * the last point first gets a null point in between, so the missing time
 * is drawn as a gap; a frame not after the last point is dropped.
 * Returns true if something was appended. */
export function appendFrame(cols, frame, t, rangeSecs) {
	const time = cols.data[0];
	const last = time.length ? time[time.length - 1] : null;
	if (last !== null && !(t > last)) return false;
	if (last !== null && t - last > 1.5 * cols.step) {
		time.push(last + cols.step);
		for (let i = 1; i < cols.data.length; i++) cols.data[i].push(null);
	}
	time.push(t);
	cols.lines.forEach((l, i) => {
		const v = frameValue(frame, l.key);
		cols.data[i + 1].push(v === null ? null : v * l.scale);
	});
	const oldest = t - rangeSecs;
	let drop = 0;
	while (drop < time.length && time[drop] < oldest) drop++;
	if (drop) for (const col of cols.data) col.splice(0, drop);
	return true;
}

/* Add a line (a container that appeared) to columns: null before now. */
export function addLine(cols, line) {
	cols.lines.push(line);
	cols.data.push(cols.data[0].map(() => null));
}

/* Runs of missing values in a column: [[fromTime, toTime], ...]. */
export function gaps(time, col) {
	const out = [];
	let start = null;
	for (let i = 0; i < time.length; i++) {
		if (col[i] === null || col[i] === undefined) { if (start === null) start = time[i]; }
		else if (start !== null) { out.push([start, time[i - 1]]); start = null; }
	}
	if (start !== null) out.push([start, time[time.length - 1]]);
	return out;
}

const BIN = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/* A value in a chart's unit, compact (axes, legend). */
export function fmtUnit(v, unit) {
	if (!isNum(v)) return '—';
	if (unit === 'bytes' || unit === 'B/s') {
		let i = 0, x = Math.abs(v);
		while (x >= 1024 && i < BIN.length - 1) { x /= 1024; i++; }
		const s = (v < 0 ? -x : x).toFixed(x < 10 && i > 0 ? 1 : 0) + ' ' + BIN[i];
		return unit === 'B/s' ? s + '/s' : s;
	}
	const d = Math.abs(v) < 1 && v !== 0 ? 3 : Math.abs(v) < 100 ? 1 : 0;
	const n = v.toFixed(d);
	if (unit === '%') return n + ' %';
	if (unit === 'ms') return n + ' ms';
	if (unit === 'req/s') return n + '/s';
	return n;
}

/* A mark from /api/v1/events as one line of text. */
export function markText(m) {
	if (!m || typeof m !== 'object') return '';
	if (m.kind === 'alert') {
		const what = m.message || m.type || 'alert';
		return `${m.state === 'resolved' ? 'resolved' : (m.level || 'alert')}: ${what}`;
	}
	if (m.kind === 'session') {
		const d = isNum(m.delta) ? (m.delta > 0 ? ` (+${m.delta})` : ` (${m.delta})`) : '';
		return `${String(m.event_type || 'session').replace(/_/g, ' ')}${d}`;
	}
	return String(m.kind || 'event');
}
