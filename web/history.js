/*
 * history.js - the history charts: the last hour from the store on first
 * paint, then live frames appended; ranges 10 min to 7 days; a line per
 * container on one shared scale; alerts and session events as marks.
 * uPlot draws (web/vendor/uPlot.esm.js, installed by scripts/install-deps
 * and copied by make); without it the section says so.
 *
 * The page calls initHistory(rootElement, {fetchJSON}) once and
 * historyAppend(frame) for every realtime_update.  On the dashboard the
 * charts start before that: index.html loads this module on its own
 * (<script type="module" async>, with <link rel="modulepreload"> for
 * histdata.js and uPlot) and marks the section data-early, so the hour is
 * asked for as soon as this module runs - not after the page's other
 * modules, the WebSocket or uPlot - and drawn as soon as the answer and
 * uPlot are both there; the page's own initHistory call then finds the
 * charts started and leaves them be.
 *
 * The first paint is the charts without containers (KATO, host, sessions),
 * asked for alone (a small answer) and drawn in one task: the mark
 * 'history-drawn'.  Then the per-container charts (a line per container)
 * are asked for at a coarser step (at most 240 points a line: an hour at
 * 15 s, each point the average, with its minimum and maximum in the
 * readout; titled so) and drawn one chart per task, so no one task holds
 * the main thread for all of them: the mark 'history-containers-drawn'.
 * Live frames are appended at their own 3 s.  Keyboard: the range
 * buttons are buttons; a focused chart moves its cursor with the arrow
 * keys (Home/End to the ends) and its legend reads the values there.
 */
import {
	RANGES, CHARTS, firstPath, containerPath, eventsPath, toColumns, appendFrame, addLine,
	frameContainers, fmtUnit, markText, isContainerChart, pointRange, FINE_STEP,
} from './histdata.js';

const MARK_COLORS = { firing: '#c62828', resolved: '#2e7d32', session: '#1565c0' };
const LINE_COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b',
	'#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

let st = null;

const UPLOT_MISSING = 'Charts unavailable: uPlot is not installed (run scripts/install-deps, then make).';

/* The first load's steps as performance marks, for the first-paint
 * benchmark (tests/bench/first-paint.mjs): asked, answered, drawn (the
 * first paint), containers-drawn. */
function mark(name) {
	if (typeof performance === 'undefined' || !performance.mark) return;
	if (!performance.getEntriesByName(name).length) performance.mark(name);
}

/* GET a JSON answer (relative to the page); an HTTP error says the
 * server's "error" text when it has one.  preloaded: index.html asked for
 * it already (<link rel="preload" as="fetch">), and a request matches its
 * preload only in the default cache mode and without extra headers (the
 * server says no-store: nothing is kept for later requests either way). */
async function getJSON(path, { preloaded = false } = {}) {
	const r = await fetch(String(path).replace(/^\//, ''), preloaded ? {}
		: { cache: 'no-store', headers: { Accept: 'application/json' } });
	const body = await r.json().catch(() => null);
	if (!r.ok) throw new Error(body && typeof body.error === 'string' ? `${body.error} (HTTP ${r.status})` : `GET ${path}: HTTP ${r.status}`);
	return body;
}

function el(tag, attrs = {}, text) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
	if (text !== undefined) e.textContent = text;
	return e;
}

function addCss(href) {
	if (document.querySelector(`link[href="${href}"]`)) return;
	document.head.appendChild(el('link', { rel: 'stylesheet', href }));
}

/* Draw the marks of the range as vertical lines. */
function marksPlugin() {
	return {
		hooks: {
			draw: [(u) => {
				if (!st || !st.marks.length) return;
				const ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
				ctx.save();
				ctx.lineWidth = Math.max(1, devicePixelRatio);
				for (const m of st.marks) {
					const x = Math.round(u.valToPos(m.time, 'x', true));
					if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
					ctx.strokeStyle = m.kind === 'session' ? MARK_COLORS.session
						: MARK_COLORS[m.state === 'resolved' ? 'resolved' : 'firing'];
					ctx.setLineDash(m.kind === 'session' ? [2, 3] : []);
					ctx.beginPath();
					ctx.moveTo(x, top);
					ctx.lineTo(x, top + h);
					ctx.stroke();
				}
				ctx.restore();
			}],
		},
	};
}

// The width comes from the ResizeObserver's entries (st.width), never from
// reading layout: drawing a frame must not force a reflow.
function chartWidth() {
	const w = st.width || 800;
	return Math.max(280, Math.min(w - 24, 1200));
}

/* The chart's title: its unit, and the step when its history is coarser
 * than the live frames. */
function chartTitle(chart, cols) {
	const coarse = cols.step > FINE_STEP && isContainerChart(chart) && cols.lo;
	return `${chart.title} (${chart.unit}${coarse ? `; history in ${cols.step} s averages, min–max in the readout` : ''})`;
}

/* A value with its point's min–max when the columns keep them. */
function valueText(cols, unit, li, i, v) {
	const r = i == null ? null : pointRange(cols, li, i);
	return r ? `${fmtUnit(v, unit)} (${fmtUnit(r[0], unit)}–${fmtUnit(r[1], unit)})` : fmtUnit(v, unit);
}

function makeOpts(chart, cols) {
	const unit = chart.unit;
	return {
		title: chartTitle(chart, cols),
		width: chartWidth(),
		height: 180,
		plugins: [marksPlugin()],
		cursor: { drag: { x: false, y: false } },
		scales: { x: { time: true }, y: { range: (u, min, max) => [Math.min(0, min ?? 0), (max ?? 1) > 0 ? max * 1.05 : 1] } },
		axes: [{}, { size: 70, values: (u, vals) => vals.map((v) => fmtUnit(v, unit)) }],
		series: [{ label: 'time' }, ...cols.lines.map((l, i) => ({
			label: l.label,
			stroke: LINE_COLORS[i % LINE_COLORS.length],
			width: 1.5,
			spanGaps: false,
			value: (u, v, si, idx) => valueText(cols, unit, si - 1, idx, v),
		}))],
	};
}

/* (Re)build one chart from its columns. */
function draw(c) {
	if (c.plot) c.plot.destroy();
	c.box.textContent = '';
	c.plot = new st.uPlot(makeOpts(c.chart, c.cols), c.cols.data, c.box);
	c.plotCols = c.cols;
	c.cursor = -1;
}

/* The chart is drawn from its current columns (a container chart keeps
 * the previous range's plot until its task draws the new columns). */
function current(c) {
	return c.plot && c.plotCols === c.cols;
}

/* Arrow keys move a focused chart's cursor. */
function onKey(c, ev) {
	if (!current(c)) return;
	const n = c.cols.data[0].length;
	if (!n) return;
	let i = c.cursor < 0 ? n - 1 : c.cursor;
	if (ev.key === 'ArrowLeft') i = Math.max(0, i - 1);
	else if (ev.key === 'ArrowRight') i = Math.min(n - 1, i + 1);
	else if (ev.key === 'Home') i = 0;
	else if (ev.key === 'End') i = n - 1;
	else return;
	ev.preventDefault();
	c.cursor = i;
	const left = c.plot.valToPos(c.cols.data[0][i], 'x');
	c.plot.setCursor({ left, top: c.plot.bbox.height / devicePixelRatio / 2 });
	const vals = c.cols.lines.map((l, k) => `${l.label} ${valueText(c.cols, c.chart.unit, k, i, c.cols.data[k + 1][i])}`);
	c.live.textContent = `${new Date(c.cols.data[0][i] * 1000).toLocaleTimeString()}: ${vals.join(', ')}`;
}

function renderMarks() {
	const list = st.markList;
	list.textContent = '';
	if (!st.marks.length) {
		list.appendChild(el('li', { class: 'hist-none' }, typeof st.marksIn === 'string' ? st.marksIn
			: st.marksIn ? 'No alerts or session events in this range.' : 'Loading alerts and session events…'));
		return;
	}
	for (const m of st.marks.slice(-50).reverse()) {
		const li = el('li', { class: `hist-mark hist-mark-${m.kind === 'session' ? 'session' : (m.state === 'resolved' ? 'resolved' : 'firing')}` });
		li.appendChild(el('time', { datetime: new Date(m.time * 1000).toISOString() },
			new Date(m.time * 1000).toLocaleString()));
		li.appendChild(document.createTextNode(' ' + markText(m)));
		list.appendChild(li);
	}
}

/* The next task, when the main thread is idle (or after 100 ms). */
function nextTask() {
	return new Promise((resolve) => {
		if (typeof requestIdleCallback === 'function') requestIdleCallback(() => resolve(), { timeout: 100 });
		else setTimeout(resolve, 0);
	});
}

function statusText(range, answer, conts) {
	let t = `${range.label} of history, ${answer.step} s per point` +
		(answer.tier === 'coarse' ? ' (per-minute averages)'
			: answer.tier === 'hour' ? ' (hourly averages)' : '') + '.';
	if (conts === null) t += ' Container charts loading…';
	else if (conts instanceof Error) t += ` Container history unavailable: ${conts.message}`;
	else if (conts.step !== answer.step) t += ` Container charts: ${conts.step} s averages.`;
	return t;
}

async function load() {
	const range = st.range;
	const gen = ++st.gen;
	st.status.textContent = 'Loading history…';
	st.cloaded = false;
	st.cpending = [];
	mark('history-asked');
	let answer;
	try {
		/* the first load's two answers may be on their way already
		 * (index.html preloads them) */
		const preloaded = st.gen === 1;
		/* the marks do not hold up the charts: drawn on them when here */
		st.fetchJSON(eventsPath(range.secs), { preloaded }).catch((e) => ({ error: e })).then((ev) => {
			if (gen !== st.gen) return;
			st.marks = Array.isArray(ev && ev.events) ? ev.events : [];
			st.marksIn = ev && ev.error ? `Alerts and session events unavailable: ${ev.error.message || ev.error}` : true;
			renderMarks();
			for (const c of st.charts) if (c.plot) c.plot.redraw(false, false);
		});
		const [a] = await Promise.all([st.fetchJSON(firstPath(range.secs), { preloaded }), st.uplotReady]);
		if (gen !== st.gen) return;
		answer = a;
		mark('history-answered');
		/* the first paint: one task, the charts without containers (the
		 * container charts keep what they drew until theirs is here) */
		for (const c of st.charts) {
			if (isContainerChart(c.chart)) continue;
			c.cols = toColumns(c.chart, answer);
			draw(c);
		}
		/* uPlot draws its canvases in microtasks queued as each chart was
		 * made: this one runs after them */
		queueMicrotask(() => mark('history-drawn'));
		/* frames that came while the answer was on its way */
		for (const [ft, f] of st.pending) append(f, ft);
		st.pending = [];
		st.loaded = true;
		/* the server's clock, as the frames' timestamps are */
		if (Number.isFinite(answer.until)) st.loadedAt = Math.max(st.loadedAt, answer.until);
		st.status.textContent = statusText(range, answer, null);
	} catch (e) {
		if (gen !== st.gen) return;
		st.status.textContent = e && e.message === UPLOT_MISSING ? UPLOT_MISSING
			: `History unavailable: ${e && e.message ? e.message : e}`;
		return;
	}
	/* then the per-container charts, one task each */
	let conts;
	try {
		conts = await st.fetchJSON(containerPath(range.secs));
		if (!conts || typeof conts !== 'object') throw new Error('not a history answer');
	} catch (e) {
		conts = e instanceof Error ? e : new Error(String(e));
	}
	if (gen !== st.gen) return;
	const empty = { step: answer.step, time: [], series: {} };
	const todo = st.charts.filter((c) => isContainerChart(c.chart));
	for (const c of todo) c.cols = toColumns(c.chart, conts instanceof Error ? empty : conts);
	/* frames that came meanwhile: into the columns, drawn with them */
	st.cloaded = true;
	for (const [ft, f] of st.cpending) append(f, ft);
	st.cpending = [];
	for (const c of todo) {
		await nextTask();
		if (gen !== st.gen) return;
		draw(c);
	}
	queueMicrotask(() => mark('history-containers-drawn'));
	st.status.textContent = statusText(range, answer, conts);
}

function append(frame, t) {
	const names = frameContainers(frame);
	/* the container charts' columns are not there yet: kept for them
	 * (at most 20 minutes' worth, should their answer never come) */
	if (!st.cloaded) {
		st.cpending.push([t, frame]);
		if (st.cpending.length > 400) st.cpending.shift();
	}
	for (const c of st.charts) {
		if (!c.cols) continue;
		let grew = false;
		for (const s of c.chart.series) {
			if (!s.pattern) continue;
			for (const name of names) {
				const key = s.pattern.replace('*', name);
				if (!c.cols.lines.some((l) => l.key === key)) {
					addLine(c.cols, { key, label: name, scale: s.scale || 1 });
					grew = true;
				}
			}
		}
		/* not drawn yet (a container chart waiting for its task): its
		 * columns are drawn when it is */
		if (appendFrame(c.cols, frame, t, st.range.secs) && current(c)) {
			if (grew) draw(c);
			else c.plot.setData(c.cols.data);
		}
	}
}

export function historyAppend(frame) {
	if (!st || !frame || frame.type !== 'realtime_update') return;
	const t = Date.parse(frame.timestamp) / 1000;
	if (!Number.isFinite(t)) return;
	if (!st.loaded) {
		/* kept for the answer on its way (at most 20 minutes' worth, should
		 * it fail) */
		st.pending.push([t, frame]);
		if (st.pending.length > 400) st.pending.shift();
		return;
	}
	if (st.range.secs > 3600) {
		/* long ranges are per-minute points from the store: refresh those
		 * once a minute (one request at a time) */
		if (t - st.loadedAt > 60) {
			st.loadedAt = t;
			load();
		}
		return;
	}
	append(frame, t);
}

/* What chart id draws now ({lines: [labels], data: columns}), or null:
 * for tests and the browser console. */
export function historyColumns(id) {
	const c = st && st.charts.find((x) => x.chart.id === id);
	if (!c || !c.cols || !current(c)) return null;
	return { lines: c.cols.lines.map((l) => l.label), data: c.cols.data.map((col) => col.slice()) };
}

function selectRange(r) {
	st.range = r;
	for (const b of st.buttons) b.setAttribute('aria-pressed', String(b.dataset.range === r.id));
	st.loaded = false;
	st.pending = [];
	load();
}

export function initHistory(root, { fetchJSON }) {
	if (st && st.root === root) return; /* started early (see the top) */
	addCss('vendor/uPlot.min.css');
	addCss('history.css');
	root.hidden = false;
	root.textContent = '';
	st = { root, fetchJSON, range: RANGES[1], charts: [], marks: [], pending: [],
		cpending: [], loaded: false, cloaded: false, loadedAt: 0, gen: 0, buttons: [], uPlot: null,
		marksIn: false };
	const head = el('div', { class: 'hist-head' });
	head.appendChild(el('h2', {}, 'History'));
	const group = el('div', { class: 'hist-ranges', role: 'group', 'aria-label': 'Time range' });
	for (const r of RANGES) {
		const b = el('button', { type: 'button', 'data-range': r.id, 'aria-pressed': String(r === st.range) }, r.label);
		b.addEventListener('click', () => selectRange(r));
		group.appendChild(b);
		st.buttons.push(b);
	}
	head.appendChild(group);
	root.appendChild(head);
	st.status = el('p', { class: 'hist-status', role: 'status' }, 'Loading history…');
	root.appendChild(st.status);
	const grid = el('div', { class: 'hist-charts' });
	root.appendChild(grid);
	for (const chart of CHARTS) {
		const fig = el('figure', { class: 'hist-chart', tabindex: '0',
			'aria-label': `${chart.title} chart: arrow keys read the values` });
		const box = el('div', { class: 'hist-plot' });
		const live = el('figcaption', { class: 'hist-readout', 'aria-live': 'polite' });
		fig.appendChild(box);
		fig.appendChild(live);
		grid.appendChild(fig);
		const c = { chart, box, live, cols: null, plot: null, cursor: -1 };
		fig.addEventListener('keydown', (ev) => onKey(c, ev));
		st.charts.push(c);
	}
	root.appendChild(el('h3', {}, 'Alerts and session events'));
	st.markList = el('ul', { class: 'hist-marks' });
	root.appendChild(st.markList);
	renderMarks();
	/* uPlot and the answer are fetched side by side: load() waits for both */
	st.uplotReady = import('./vendor/uPlot.esm.js').then((m) => {
		st.uPlot = m.default;
		if (typeof ResizeObserver === 'function') {
			let w = chartWidth();
			new ResizeObserver((entries) => {
				const box = entries[entries.length - 1].contentRect;
				if (box && box.width > 0) st.width = box.width;
				const nw = chartWidth();
				if (nw === w) return;
				w = nw;
				for (const c of st.charts) if (c.plot) c.plot.setSize({ width: nw, height: 180 });
			}).observe(root);
		}
	}, () => { throw new Error(UPLOT_MISSING); });
	st.uplotReady.catch(() => {}); /* said by load() */
	load();
}

/* The dashboard's early start (see the top). */
{
	const early = typeof document !== 'undefined' && document.getElementById('history');
	if (early && early.hasAttribute('data-early')) initHistory(early, { fetchJSON: getJSON });
}
