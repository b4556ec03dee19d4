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

/* A chart whose lines are the containers (a pattern series). */
export function isContainerChart(chart) {
	return chart.series.some((s) => s.pattern);
}

/* The first paint draws the charts an operator reads first (KATO, host,
 * sessions) from one small answer at the range's step; the per-container
 * charts (a line per container) come from a second answer, each drawn in a
 * task of its own, at most CONTAINER_POINTS points a line, each point the
 * step's average with its minimum and maximum kept for the readout. */
export const FIRST_CHARTS = CHARTS.filter((c) => !isContainerChart(c));
export const CONTAINER_CHARTS = CHARTS.filter(isContainerChart);
export const CONTAINER_POINTS = 240;

/* Live frames come every FINE_STEP seconds (kato-merge's tick, the store's
 * fine tier). */
export const LIVE_STEP = FINE_STEP;

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

/* The series= list for the charts; minmax adds each one's :min and :max. */
export function seriesParam(charts = CHARTS, minmax = false) {
	const keys = [];
	for (const c of charts) {
		for (const s of c.series) {
			const k = s.key || s.pattern;
			keys.push(k);
			if (minmax) keys.push(`${k}:min`, `${k}:max`);
		}
	}
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
export function historyPath(rangeSecs, charts = CHARTS, { step = stepFor(rangeSecs), minmax = false } = {}) {
	return `/api/v1/history?since=-${rangeSecs}&step=${step}` +
		`&series=${encodeURIComponent(seriesParam(charts, minmax))}`;
}

/* The first paint's query: the charts without containers, at the range's
 * step. */
export function firstPath(rangeSecs) {
	return historyPath(rangeSecs, FIRST_CHARTS);
}

/* The per-container charts' query: at most CONTAINER_POINTS points a line
 * (an hour: 15 s steps), with each step's minimum and maximum when a step
 * is more than one stored 3 s value. */
export function containerPath(rangeSecs) {
	const step = stepFor(rangeSecs, CONTAINER_POINTS);
	return historyPath(rangeSecs, CONTAINER_CHARTS, { step, minmax: step > FINE_STEP });
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

/* uPlot columns for chart from an answer {step, time, series}:
 * {lines, data, step, lastStep, lo, hi}.  step is the answer's (each
 * point the average over [t, t + step)); lastStep the span of the last
 * point (the answer's step, then LIVE_STEP once live frames are
 * appended).  lo and hi, when the answer has every line's :min and :max
 * (a coarser step than the frames'), are each line's minimum and maximum
 * per point ([line][point]), else null. */
export function toColumns(chart, answer) {
	const series = (answer && answer.series && typeof answer.series === 'object') ? answer.series : {};
	const lines = chartLines(chart, series).filter((l) => !/:(min|max)$/.test(l.key));
	const time = Array.isArray(answer && answer.time) ? answer.time.slice() : [];
	const column = (key, scale) => {
		const src = Array.isArray(series[key]) ? series[key] : [];
		return time.map((_, i) => (isNum(src[i]) ? src[i] * scale : null));
	};
	const cols = [time];
	for (const l of lines) cols.push(column(l.key, l.scale));
	const step = isNum(answer && answer.step) && answer.step > 0 ? answer.step : FINE_STEP;
	const ranged = lines.length > 0 && lines.every((l) => Array.isArray(series[`${l.key}:min`]) && Array.isArray(series[`${l.key}:max`]));
	return {
		lines, data: cols, step, lastStep: step,
		lo: ranged ? lines.map((l) => column(`${l.key}:min`, l.scale)) : null,
		hi: ranged ? lines.map((l) => column(`${l.key}:max`, l.scale)) : null,
	};
}

/* Line li's [min, max] at point i when the columns keep them and they
 * say more than the point's value, else null. */
export function pointRange(cols, li, i) {
	if (!cols || !cols.lo || !cols.hi || !cols.lo[li] || !cols.hi[li]) return null;
	const lo = cols.lo[li][i], hi = cols.hi[li][i];
	return isNum(lo) && isNum(hi) && lo !== hi ? [lo, hi] : null;
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

/* Append a live frame at t (unix seconds) to columns (toColumns) in
 * place, keeping at most rangeSecs.  The last point covers [last, last +
 * lastStep); the next frame is due LIVE_STEP before that ends.  A frame
 * more than half a LIVE_STEP later than due (with 3 s points: more than
 * 1.5 steps after the last) first gets a null point at the end of the
 * last one, so the missing time is drawn as a gap; a frame not after the
 * last point is dropped.  A live point's minimum and maximum are its
 * value.  Returns true if something was appended. */
export function appendFrame(cols, frame, t, rangeSecs) {
	const time = cols.data[0];
	const last = time.length ? time[time.length - 1] : null;
	const span = isNum(cols.lastStep) ? cols.lastStep : cols.step;
	if (last !== null && !(t > last)) return false;
	if (last !== null && t - last > span + 0.5 * LIVE_STEP) {
		time.push(last + span);
		for (let i = 1; i < cols.data.length; i++) cols.data[i].push(null);
		if (cols.lo) for (let i = 0; i < cols.lo.length; i++) { cols.lo[i].push(null); cols.hi[i].push(null); }
	}
	time.push(t);
	cols.lines.forEach((l, i) => {
		const v = frameValue(frame, l.key);
		const x = v === null ? null : v * l.scale;
		cols.data[i + 1].push(x);
		if (cols.lo) { cols.lo[i].push(x); cols.hi[i].push(x); }
	});
	cols.lastStep = LIVE_STEP;
	const oldest = t - rangeSecs;
	let drop = 0;
	while (drop < time.length && time[drop] < oldest) drop++;
	if (drop) {
		for (const col of cols.data) col.splice(0, drop);
		if (cols.lo) for (const col of [...cols.lo, ...cols.hi]) col.splice(0, drop);
	}
	return true;
}

/* Add a line (a container that appeared) to columns: null before now. */
export function addLine(cols, line) {
	cols.lines.push(line);
	cols.data.push(cols.data[0].map(() => null));
	if (cols.lo) {
		cols.lo.push(cols.data[0].map(() => null));
		cols.hi.push(cols.data[0].map(() => null));
	}
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
