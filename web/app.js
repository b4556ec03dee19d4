/*
 * kato-live dashboard: plain JavaScript, served as is by websocketd.
 *
 * Data comes over one WebSocket at "ws" beside the page (/ws when served at
 * the root; the client protocol of kato-sub, man kato-live(7)).  While the
 * WebSocket is down, and only then, the page polls the HTTP fallback
 * (api/v1/..., served by kato-snapshot as CGI) every 5 s.  Reconnects use exponential backoff with
 * jitter; a ping goes out every 30 s.  It subscribes to the topics of the
 * panels it shows (all of them, or those named in ?panels=a,b).
 *
 * Rules it keeps: a number the server could not measure (null, missing) is
 * shown as "—", never 0; a section that is stale or failing says so with the
 * server's error text; everything is rendered with textContent (no HTML from
 * the wire reaches innerHTML).
 */
'use strict';

(function () {

/* ---------------------------------------------------------------- settings */

const params = new URLSearchParams(location.search);

function secondsParam(name, dflt, min) {
	const v = Number(params.get(name));
	return Number.isFinite(v) && v >= min ? v * 1000 : dflt;
}

const CFG = {
	wsPath: 'ws',                               /* relative to the page */
	pingMs: secondsParam('ping', 30000, 1),     /* ?ping=SECONDS */
	pollMs: secondsParam('poll', 5000, 1),      /* ?poll=SECONDS */
	backoffBaseMs: 1000,
	backoffMaxMs: 30000,
	historyMs: 10 * 60 * 1000,                  /* sparklines: last 10 minutes */
	logMax: 200,
	resolvedMax: 50,
};

/* Panel -> WebSocket topics it needs, and HTTP fallback paths it polls. */
const PANELS = {
	metrics:    { topics: ['metrics'], paths: ['/api/v1/health', '/api/v1/system/metrics'] },
	containers: { topics: ['containers'], paths: ['/api/v1/system/container-stats'] },
	sessions:   { topics: ['sessions', 'session_events'], paths: ['/api/v1/sessions/count'] },
	alerts:     { topics: ['system_alerts'], paths: [] },
};

/* Which collector feeds which panel (the "stale" list and "sources" name them). */
const SOURCE_OF = { metrics: 'kato-metrics', containers: 'docker-stats', sessions: 'session-summary' };

/* ------------------------------------------------------------------ helpers */

const $ = (id) => document.getElementById(id);

function isNum(v) { return typeof v === 'number' && Number.isFinite(v); }

function get(obj, path) {
	let o = obj;
	for (const k of path.split('.')) {
		if (o === null || typeof o !== 'object') return undefined;
		o = o[k];
	}
	return o;
}

function num(obj, path) {
	const v = get(obj, path);
	return isNum(v) ? v : null;
}

/* A section in error: {"error":"..."} (KATO's own bodies carry "error": null). */
function sectionError(s) {
	if (s === undefined) return null;
	if (s === null || typeof s !== 'object') return 'malformed section';
	if (typeof s.error === 'string' && s.error !== '') return s.error;
	if (s.error && typeof s.error === 'object') return s.error.message || JSON.stringify(s.error);
	return null;
}

const DASH = '—';

/* The pipeline has only just started: a wait, not a failure. */
function waiting(err) { return typeof err === 'string' && /(^|: )no data yet/i.test(err); }

function fmtPct(v, digits) {
	if (!isNum(v)) return DASH;
	const d = digits !== undefined ? digits : (Math.abs(v) < 100 ? 1 : 0);
	return v.toFixed(d) + ' %';
}

function fmtBytes(v) {
	if (!isNum(v)) return DASH;
	const units = ['B', 'KB', 'MB', 'GB', 'TB'];
	let i = 0, x = Math.abs(v);
	while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
	const s = i === 0 ? String(Math.round(x)) : x < 10 ? x.toFixed(1) : String(Math.round(x));
	return (v < 0 ? '-' : '') + s + ' ' + units[i];
}

function fmtCount(v) {
	if (!isNum(v)) return DASH;
	return Math.round(v).toLocaleString('en-US');
}

function fmtRate(v) {
	if (!isNum(v)) return DASH;
	if (v === 0) return '0';
	if (Math.abs(v) < 10) return v.toFixed(2);
	if (Math.abs(v) < 100) return v.toFixed(1);
	return Math.round(v).toLocaleString('en-US');
}

function fmtDuration(sec) {
	if (!isNum(sec) || sec < 0) return DASH;
	sec = Math.floor(sec);
	const d = Math.floor(sec / 86400), h = Math.floor(sec % 86400 / 3600),
	      m = Math.floor(sec % 3600 / 60), s = sec % 60;
	if (d) return d + ' d ' + h + ' h';
	if (h) return h + ' h ' + m + ' min';
	if (m) return m + ' min ' + s + ' s';
	return s + ' s';
}

function fmtAgo(ms) {
	if (!isNum(ms)) return DASH;
	const s = Math.max(0, Math.round(ms / 1000));
	if (s < 60) return s + ' s ago';
	if (s < 3600) return Math.floor(s / 60) + ' min ago';
	if (s < 86400) return Math.floor(s / 3600) + ' h ago';
	return Math.floor(s / 86400) + ' d ago';
}

function fmtClock(t) {
	const d = new Date(t);
	if (isNaN(d)) return DASH;
	return d.toLocaleTimeString('en-GB', { hour12: false });
}

function parseTime(ts) {
	if (isNum(ts)) return ts < 1e12 ? ts * 1000 : ts;   /* epoch seconds or ms */
	const t = Date.parse(ts);
	return isNaN(t) ? null : t;
}

function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined) e.textContent = text;
	return e;
}

function setText(id, text, title) {
	const e = $(id);
	if (!e) return;
	if (e.textContent !== text) e.textContent = text;
	if (title !== undefined) e.title = title;
}

/* Elements showing "N s ago" carry data-at (ms) and are refreshed each second. */
function agoEl(tag, cls, at, prefix) {
	const e = el(tag, cls || 'ago');
	e.classList.add('ago');
	e.dataset.at = String(at);
	if (prefix) e.dataset.prefix = prefix;
	e.textContent = (prefix || '') + fmtAgo(Date.now() - at);
	return e;
}

function refreshAgos() {
	const now = Date.now();
	for (const e of document.querySelectorAll('.ago[data-at]')) {
		const t = (e.dataset.prefix || '') + fmtAgo(now - Number(e.dataset.at));
		if (e.textContent !== t) e.textContent = t;
	}
}

/* --------------------------------------------------------------- sparkline */

/*
 * A time series kept for the last CFG.historyMs.  Points are [t, value|null];
 * a null breaks the line (unmeasured), it is never drawn as 0.
 */
class Series {
	constructor() { this.pts = []; }
	push(t, v) {
		this.pts.push([t, isNum(v) ? v : null]);
		const cut = t - CFG.historyMs;
		while (this.pts.length && this.pts[0][0] < cut) this.pts.shift();
	}
	last() {
		return this.pts.length ? this.pts[this.pts.length - 1][1] : null;
	}
	max() {
		let m = null;
		for (const p of this.pts) if (p[1] !== null && (m === null || p[1] > m)) m = p[1];
		return m;
	}
}

const SVGNS = 'http://www.w3.org/2000/svg';

/* Sparklines scale to their own peak (with headroom), never below floor. */
function scaleTop(peak, floor) {
	return peak === null ? floor : Math.max(peak * 1.15, floor);
}

function containerSpark(name, tr) {
	const h = containerHist.get(name);
	const sp = tr.querySelector('.c-spark .spark');
	if (!h || !sp) return;
	const cpu = h.cpu.last(), mem = h.mem.last(), cmax = h.cpu.max(), mmax = h.mem.max();
	drawSpark(sp, [
		{ series: h.mem, max: scaleTop(mmax, 5), cls: 's-mem' },
		{ series: h.cpu, max: scaleTop(cmax, 5), cls: 's-cpu' },
	], `${name}, last 10 minutes: CPU ${fmtPct(cpu)} now` + (cmax !== null ? `, peak ${fmtPct(cmax)}` : '') +
	   `; memory ${fmtPct(mem)} now` + (mmax !== null ? `, peak ${fmtPct(mmax)}` : ''));
	sp.title = sp.firstElementChild ? sp.firstElementChild.getAttribute('aria-label') : '';
}

/*
 * Draw lines into holder (a span): lines = [{series, max, cls}].  The x axis
 * is the last 10 minutes ending now, so the line fills in from the right
 * while the page stays open.
 */
function drawSpark(holder, lines, label) {
	/* drawn at the holder's pixel size, so dots stay round at any width */
	const box = holder.getBoundingClientRect();
	const W = Math.max(40, Math.round(box.width) || 120), H = Math.max(16, Math.round(box.height) || 28), pad = 3;
	const now = Date.now(), t0 = now - CFG.historyMs;
	let svg = holder.firstElementChild;
	if (!svg) {
		svg = document.createElementNS(SVGNS, 'svg');
		svg.setAttribute('role', 'img');
		const bg = document.createElementNS(SVGNS, 'rect');
		bg.setAttribute('class', 'spark-bg');
		bg.setAttribute('rx', '3');
		svg.appendChild(bg);
		holder.appendChild(svg);
	}
	svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
	const bg = svg.firstChild;
	bg.setAttribute('width', W); bg.setAttribute('height', H);
	svg.setAttribute('aria-label', label);
	while (svg.childNodes.length > 1) svg.removeChild(svg.lastChild);
	for (const ln of lines) {
		const top = ln.max > 0 ? ln.max : 1;
		let d = '', pen = false, last = null;
		for (const [t, v] of ln.series.pts) {
			if (v === null) { pen = false; continue; }
			const x = Math.min(W - pad, Math.max(0, (t - t0) / CFG.historyMs * (W - pad)));
			const y = H - pad - Math.min(1, Math.max(0, v / top)) * (H - 2 * pad);
			d += (pen ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1);
			pen = true;
			last = [x, y];
		}
		if (!d) continue;
		const path = document.createElementNS(SVGNS, 'path');
		path.setAttribute('d', d);
		path.setAttribute('class', 'spark-line ' + ln.cls);
		svg.appendChild(path);
		if (last) {
			const c = document.createElementNS(SVGNS, 'circle');
			c.setAttribute('cx', last[0].toFixed(1));
			c.setAttribute('cy', last[1].toFixed(1));
			c.setAttribute('r', '2');
			c.setAttribute('class', 'spark-dot ' + ln.cls);
			svg.appendChild(c);
		}
	}
}

/* ------------------------------------------------------------------ panels */

const shown = new Set();     /* panel names on the page */

function setupPanels() {
	const want = params.get('panels');
	const wanted = want ? new Set(want.split(',').map((s) => s.trim()).filter(Boolean)) : null;
	for (const sec of document.querySelectorAll('[data-panel]')) {
		const name = sec.dataset.panel;
		if (wanted && !wanted.has(name)) { sec.hidden = true; continue; }
		shown.add(name);
	}
	document.body.classList.toggle('few-panels', shown.size < 4);
}

function wantedTopics() {
	const t = [];
	for (const p of shown) t.push(...PANELS[p].topics);
	return t;
}

/* Per panel: when its data last arrived fresh (client clock), for "updated N s ago". */
const freshAt = {};

/* Show or clear a panel's notice; mark its values as not current. */
function panelNotice(panel, text, level) {
	const n = $(panel === 'metrics' ? 'kato-notice' : panel + '-notice');
	const sec = document.querySelector(`[data-panel="${panel}"]`);
	if (!n || !sec) return;
	if (text) {
		if (n.textContent !== text) n.textContent = text;
		n.dataset.level = level || 'warn';
		n.hidden = false;
		sec.classList.toggle('is-stale', level !== 'info');
	} else {
		n.hidden = true;
		n.textContent = '';
		sec.classList.remove('is-stale');
	}
}

function staleText(panel, err, info) {
	const src = SOURCE_OF[panel];
	let t = err ? err : `no fresh data from ${src}`;
	const s = info && info.source;
	if (s && s.error && !err) t += ': ' + s.error;
	if (s && isNum(s.age_ms)) t += ` (last sample ${fmtAgo(s.age_ms)})`;
	return t;
}

function panelAge(panel) {
	const id = { metrics: 'kato-age', containers: 'containers-age', sessions: 'sessions-age' }[panel];
	const e = id && $(id);
	if (!e) return;
	e.classList.add('ago');
	e.dataset.prefix = 'updated ';
	e.dataset.at = String(freshAt[panel]);
}

/* KATO health and metrics */

const katoRps = new Series();
let lastKato = null;     /* {m, h} as last rendered with data */

function drawKatoSpark() {
	const r = katoRps.max();
	drawSpark($('kato-spark'), [{ series: katoRps, max: scaleTop(r, 1), cls: 's-rps' }],
		'Requests per second over the last 10 minutes' + (r === null ? '' : ', peak ' + fmtRate(r)));
}

function healthLevel(status) {
	return { healthy: 'ok', degraded: 'warn', unhealthy: 'bad' }[status] || 'unknown';
}

function meter(id, v) {
	const m = $(id);
	const val = m.querySelector('.meter-value');
	const bar = m.querySelector('.meter-bar i');
	val.textContent = fmtPct(v);
	bar.style.width = isNum(v) ? Math.min(100, Math.max(0, v)) + '%' : '0';
	m.dataset.level = !isNum(v) ? 'unknown' : v >= 90 ? 'bad' : v >= 75 ? 'warn' : 'ok';
	m.classList.toggle('is-null', !isNum(v));
	m.title = isNum(v) ? '' : 'not measured';
}

function renderKato(metrics, health, info) {
	const now = Date.now();
	const mErr = metrics === null ? 'no metrics from KATO' : sectionError(metrics);
	/* kato-metrics sends health null when KATO's /health did not answer */
	const hErr = health === null ? 'KATO /health did not answer' : sectionError(health);
	const mOk = metrics !== undefined && !mErr;
	const hOk = health !== undefined && health !== null && !hErr;
	const m = mOk ? metrics : (lastKato ? lastKato.m : null);
	const h = hOk ? health : (health === undefined && lastKato ? lastKato.h : null);

	/* status badge: KATO's /health, else unknown */
	const badge = $('kato-status');
	const status = h && typeof h.status === 'string' ? h.status : null;
	const shownStatus = hOk ? status || 'unknown' : hErr ? 'unreachable' : status || 'unknown';
	badge.textContent = shownStatus;
	badge.dataset.level = hOk ? healthLevel(status) : hErr ? 'bad' : 'unknown';

	setText('kato-uptime', fmtDuration(num(m, 'uptime_seconds') ?? num(h, 'uptime_seconds')));
	setText('kato-rps', fmtRate(num(m, 'rates.requests_per_second')));
	const er = num(m, 'performance.error_rate');
	setText('kato-errors', isNum(er) ? fmtPct(er * 100, 2) : DASH);
	$('kato-errors').dataset.level = !isNum(er) ? '' : er >= 0.05 ? 'bad' : er >= 0.01 ? 'warn' : '';
	setText('kato-sessions', fmtCount(num(m, 'active_sessions') ?? num(m, 'sessions.active') ?? num(h, 'active_sessions')));
	setText('kato-requests', fmtCount(num(m, 'performance.total_requests')));
	const rt = num(m, 'performance.average_response_time');   /* seconds */
	setText('kato-latency', isNum(rt) ? (rt < 10 ? Math.round(rt * 1000) + ' ms' : fmtDuration(rt)) : DASH);
	const np = num(m, 'processor_manager.active_processors') ?? num(m, 'processor_manager.total_processors');
	const mp = num(m, 'processor_manager.max_processors');
	setText('kato-processors', isNum(np) ? fmtCount(np) + (isNum(mp) ? ' / ' + fmtCount(mp) : '') : DASH);
	meter('res-cpu', num(m, 'resources.cpu_percent'));
	meter('res-mem', num(m, 'resources.memory_percent'));
	meter('res-disk', num(m, 'resources.disk_percent'));

	const dbs = $('kato-dbs');
	dbs.textContent = '';
	const dbo = m && m.databases && typeof m.databases === 'object' ? m.databases : {};
	for (const [name, d] of Object.entries(dbo)) {
		if (!d || typeof d !== 'object') continue;
		const li = el('li', 'db');
		const st = typeof d.status === 'string' ? d.status : d.connected === false ? 'disconnected' : 'unknown';
		li.dataset.level = /healthy|ok|up/i.test(st) && !/unhealthy/i.test(st) ? 'ok' : st === 'unknown' ? 'unknown' : 'bad';
		li.appendChild(el('span', 'db-dot'));
		li.appendChild(el('span', 'db-name', name));
		const rtm = num(d, 'response_time_ms');
		li.appendChild(el('span', 'db-val', st === 'healthy' ? (isNum(rtm) ? rtm.toFixed(1) + ' ms' : '') : st));
		dbs.appendChild(li);
	}
	dbs.hidden = dbs.children.length === 0;

	const issues = $('kato-issues');
	issues.textContent = '';
	const list = h && Array.isArray(h.issues) ? h.issues : [];
	for (const it of list) {
		issues.appendChild(el('li', '', typeof it === 'string' ? it : it && (it.message || JSON.stringify(it))));
	}
	issues.hidden = list.length === 0;

	if (mOk) {
		katoRps.push(now, num(metrics, 'rates.requests_per_second'));
		lastKato = { m: metrics, h: hOk ? health : (lastKato ? lastKato.h : null) };
		if (!info.stale) { freshAt.metrics = now; panelAge('metrics'); }
	} else if (hOk && lastKato) {
		lastKato.h = health;
	} else if (hOk && !lastKato) {
		lastKato = { m: null, h: health };
	}
	drawKatoSpark();

	let note = null;
	if (mErr) note = 'KATO metrics unavailable: ' + mErr;
	if (hErr) note = (note ? note + '. ' : '') + 'KATO health unavailable: ' + hErr;
	if (note && freshAt.metrics) note += ' — showing values received ' + fmtAgo(now - freshAt.metrics);
	if (!note && info.stale) note = 'Stale: ' + staleText('metrics', null, info);
	panelNotice('metrics', note, waiting(mErr) && (!hErr || waiting(hErr)) ? 'info' : mErr || hErr ? 'bad' : 'warn');
}

/* Containers */

const containerHist = new Map();   /* name -> {cpu: Series, mem: Series} */
const containerRows = new Map();   /* name -> <tr> */

function containerLevel(status) {
	if (!status) return 'unknown';
	if (/^(running|up|healthy)/i.test(status)) return 'ok';
	if (/^(paused|restarting|created|starting)/i.test(status)) return 'warn';
	if (/^(exited|dead|removing|stopped|unhealthy)/i.test(status)) return 'bad';
	return 'unknown';
}

function bytesOf(o, bytesKey, mbKey) {
	const b = num(o, bytesKey);
	if (b !== null) return b;
	const mb = num(o, mbKey);
	return mb !== null ? mb * 1048576 : null;
}

function cell(label, cls) {
	const td = el('td', cls);
	td.dataset.label = label;
	return td;
}

function makeRow(name) {
	const tr = el('tr');
	tr.dataset.name = name;
	const th = el('th', 'c-name', name);
	th.scope = 'row';
	th.title = name;
	tr.appendChild(th);
	const st = cell('Status', 'c-status');
	st.appendChild(el('span', 'badge'));
	tr.appendChild(st);
	tr.appendChild(cell('CPU', 'num c-cpu'));
	const mem = cell('Memory', 'num c-mem');
	mem.appendChild(el('span', 'c-main'));
	mem.appendChild(el('span', 'c-sub'));
	tr.appendChild(mem);
	const net = cell('Net rx / tx', 'num c-net');
	net.appendChild(el('span', 'c-main'));
	tr.appendChild(net);
	const blk = cell('Block read / write', 'num c-blk');
	blk.appendChild(el('span', 'c-main'));
	tr.appendChild(blk);
	const sp = cell('Last 10 min', 'c-spark');
	sp.appendChild(el('span', 'spark'));
	tr.appendChild(sp);
	return tr;
}

function pair(a, b) { return a + ' / ' + b; }

function renderContainers(sec, info) {
	const now = Date.now();
	const err = sectionError(sec);
	if (sec !== undefined && !err) {
		const list = Array.isArray(sec.containers) ? sec.containers.slice() : [];
		list.sort((a, b) => String(a && a.name).localeCompare(String(b && b.name)));
		const body = $('containers-body');
		const seen = new Set();
		let prev = null;
		for (const c of list) {
			if (!c || typeof c !== 'object') continue;
			const name = String(c.name || c.id || '?').replace(/^\//, '');
			seen.add(name);
			let tr = containerRows.get(name);
			if (!tr) { tr = makeRow(name); containerRows.set(name, tr); }
			const want = prev ? prev.nextSibling : body.firstChild;
			if (want !== tr) body.insertBefore(tr, want);
			prev = tr;
			let h = containerHist.get(name);
			if (!h) { h = { cpu: new Series(), mem: new Series() }; containerHist.set(name, h); }

			const cpu = num(c, 'cpu');
			const memPct = num(c, 'memory.usage_percent');
			h.cpu.push(now, cpu);
			h.mem.push(now, memPct);

			const badge = tr.querySelector('.c-status .badge');
			badge.textContent = c.status ? String(c.status) : 'unknown';
			badge.dataset.level = containerLevel(c.status);
			const tdc = tr.querySelector('.c-cpu');
			tdc.textContent = fmtPct(cpu);
			tdc.title = cpu === null ? 'not measured yet (CPU needs two samples)' : '100 % = one core';
			const used = bytesOf(c, 'memory.usage_bytes', 'memory.usage_mb');
			const lim = bytesOf(c, 'memory.limit_bytes', 'memory.limit_mb');
			tr.querySelector('.c-mem .c-main').textContent = pair(fmtBytes(used), fmtBytes(lim));
			tr.querySelector('.c-mem .c-sub').textContent = fmtPct(memPct);
			tr.querySelector('.c-net .c-main').textContent =
				pair(fmtBytes(bytesOf(c, 'network.rx_bytes', 'network.rx_mb')), fmtBytes(bytesOf(c, 'network.tx_bytes', 'network.tx_mb')));
			tr.querySelector('.c-blk .c-main').textContent =
				pair(fmtBytes(bytesOf(c, 'block_io.read_bytes', 'block_io.read_mb')), fmtBytes(bytesOf(c, 'block_io.write_bytes', 'block_io.write_mb')));
			containerSpark(name, tr);
		}
		for (const [name, tr] of containerRows) {
			if (!seen.has(name)) { tr.remove(); containerRows.delete(name); containerHist.delete(name); }
		}
		$('containers-empty').hidden = containerRows.size > 0;

		const a = sec.aggregated || {};
		const n = num(a, 'container_count') ?? containerRows.size;
		const parts = [n + (n === 1 ? ' container' : ' containers')];
		const tc = num(a, 'total_cpu_percent');
		if (tc !== null) parts.push('CPU ' + fmtPct(tc));
		const tm = num(a, 'total_memory_mb'), tl = num(a, 'total_memory_limit_mb');
		if (tm !== null) parts.push('memory ' + fmtBytes(tm * 1048576) + (tl !== null ? ' of ' + fmtBytes(tl * 1048576) : ''));
		setText('containers-summary', parts.join(' · '));
		if (!info.stale) { freshAt.containers = now; panelAge('containers'); }
	}
	let note = null, level = 'warn';
	if (err) { note = 'Container stats unavailable: ' + err; level = 'bad';
		if (freshAt.containers) note += ' — showing values received ' + fmtAgo(now - freshAt.containers); }
	else if (info.stale) note = 'Stale: ' + staleText('containers', null, info);
	if (!freshAt.containers && err) $('containers-empty').hidden = true;
	panelNotice('containers', note, waiting(err) ? 'info' : level);
}

/* Sessions */

function renderSessions(sec, info) {
	const now = Date.now();
	const err = sectionError(sec);
	if (sec !== undefined && !err) {
		const active = num(sec, 'active_count') ?? num(sec, 'active_session_count');
		const total = num(sec, 'total_count');
		setText('sessions-active', fmtCount(active), active === null ? 'not reported' : '');
		setText('sessions-total', fmtCount(total), total === null ? 'KATO does not report a total' : '');
		if (!info.stale) { freshAt.sessions = now; panelAge('sessions'); }
	}
	let note = null, level = 'warn';
	if (err) { note = 'Session counts unavailable: ' + err; level = 'bad';
		if (freshAt.sessions) note += ' — showing values received ' + fmtAgo(now - freshAt.sessions); }
	else if (info.stale) note = 'Stale: ' + staleText('sessions', null, info);
	panelNotice('sessions', note, waiting(err) ? 'info' : level);
}

function onSessionEvent(msg) {
	const log = $('session-log');
	const at = parseTime(msg.timestamp) ?? Date.now();
	const type = String(msg.event_type || 'session_event');
	const d = msg.data || {};
	const li = el('li', 'log-item');
	li.dataset.type = type;
	const created = /created/.test(type), destroyed = /destroyed|deleted|expired/.test(type);
	const t = el('time', 'log-time', fmtClock(at));
	t.dateTime = new Date(at).toISOString();
	li.appendChild(t);
	li.appendChild(el('span', 'log-kind ' + (created ? 'k-up' : destroyed ? 'k-down' : ''),
		created ? 'created' : destroyed ? 'destroyed' : type.replace(/^session_/, '')));
	const delta = num(d, 'delta');
	const cur = num(d, 'current_count');
	const prev = num(d, 'previous_count');
	let text = '';
	if (delta !== null) text += (delta > 0 ? '+' : '') + delta + (Math.abs(delta) === 1 ? ' session' : ' sessions');
	if (cur !== null) text += (text ? ', ' : '') + 'now ' + cur + ' active' + (prev !== null ? ' (was ' + prev + ')' : '');
	li.appendChild(el('span', 'log-text', text || DASH));
	log.insertBefore(li, log.firstChild);
	while (log.children.length > CFG.logMax) log.removeChild(log.lastChild);
	$('session-log-empty').hidden = true;
	if (cur !== null) setText('sessions-active', fmtCount(cur), '');
}

/* Alerts */

const firing = new Map();    /* id -> {alert, since} */
const resolved = [];         /* newest first: {alert, since, at} */

function alertId(a, msgId) {
	if (typeof a.id === 'string' && a.id) return a.id;
	if (msgId) return msgId;
	const who = a.container || a.source;
	return String(a.type || 'alert') + (who ? ':' + who : '');
}

function fmtAlertValue(a) {
	const v = a.value, th = a.threshold;
	if (typeof v === 'string' && v) return v;    /* e.g. KATO's health status */
	if (!isNum(v) && !isNum(th)) return '';
	const pctLike = /cpu|memory|disk/i.test(String(a.type || ''));
	const rateLike = /error_rate/i.test(String(a.type || ''));
	const f = (x) => !isNum(x) ? DASH : pctLike ? fmtPct(x) : rateLike ? fmtPct(x * 100, 2) :
		String(Math.round(x * 1000) / 1000);
	return 'value ' + f(v) + (isNum(th) ? ', threshold ' + f(th) : '');
}

function alertItem(a, since, at) {
	const li = el('li', 'alert');
	li.dataset.level = a.level || 'warning';
	li.dataset.type = a.type || '';
	const head = el('div', 'alert-head');
	const lvl = el('span', 'badge alert-level', a.level || 'warning');
	lvl.dataset.level = a.level === 'error' ? 'bad' : a.level === 'info' ? 'info' : 'warn';
	head.appendChild(lvl);
	head.appendChild(el('span', 'alert-msg', a.message || a.type || 'alert'));
	li.appendChild(head);
	const meta = el('div', 'alert-meta');
	const bits = [];
	if (a.container) bits.push(a.container);
	else if (a.source) bits.push(a.source);
	const vt = fmtAlertValue(a);
	if (vt) bits.push(vt);
	if (bits.length) meta.appendChild(el('span', '', bits.join(' · ') + ' · '));
	if (at) {
		meta.appendChild(el('span', '', 'resolved ' + fmtClock(at) + (since ? ' (fired ' + fmtClock(since) + ')' : '') + ' · '));
		meta.appendChild(agoEl('span', 'alert-ago', at));
	} else {
		meta.appendChild(el('span', '', 'since ' + fmtClock(since) + ' · '));
		meta.appendChild(agoEl('span', 'alert-ago', since));
	}
	li.appendChild(meta);
	return li;
}

function renderAlerts() {
	const f = $('alerts-firing');
	f.textContent = '';
	const items = [...firing.values()].sort((x, y) => y.since - x.since);
	for (const it of items) f.appendChild(alertItem(it.alert, it.since, null));
	$('alerts-firing-empty').hidden = items.length > 0;
	const r = $('alerts-resolved');
	r.textContent = '';
	for (const it of resolved) r.appendChild(alertItem(it.alert, it.since, it.at));
	$('alerts-resolved-empty').hidden = resolved.length > 0;
	const badge = $('alerts-count');
	const worst = items.some((i) => i.alert.level === 'error') ? 'bad' : items.length ? 'warn' : 'ok';
	badge.textContent = items.length ? items.length + ' firing' : 'none firing';
	badge.dataset.level = worst;
	document.title = (items.length ? `(${items.length}) ` : '') + 'KATO live';
}

function onSystemAlert(msg) {
	const at = parseTime(msg.timestamp) ?? Date.now();
	const list = Array.isArray(msg.alerts) ? msg.alerts : [];
	for (const a of list) {
		if (!a || typeof a !== 'object') continue;
		const id = alertId(a, list.length === 1 ? msg.id : null);
		const state = a.state || msg.state || 'firing';
		const was = firing.get(id);
		const since = parseTime(a.since) ?? (was ? was.since : null);
		if (state === 'resolved') {
			firing.delete(id);
			const old = was ? was.alert : {};
			/* a resolved alert says "info": keep the level it fired with */
			resolved.unshift({ alert: Object.assign({}, a, { level: old.level || a.level }), since, at });
			if (resolved.length > CFG.resolvedMax) resolved.length = CFG.resolvedMax;
		} else {
			firing.set(id, { alert: a, since: since ?? at });
		}
	}
	renderAlerts();
}

function onActiveAlerts(msg) {
	const at = parseTime(msg.timestamp) ?? Date.now();
	const list = Array.isArray(msg.alerts) ? msg.alerts : [];
	const next = new Map();
	for (const a of list) {
		if (!a || typeof a !== 'object') continue;
		const id = alertId(a, null);
		const was = firing.get(id);
		const since = parseTime(a.since) ?? (was ? was.since : at);
		next.set(id, { alert: a, since });
	}
	firing.clear();
	for (const [k, v] of next) firing.set(k, v);
	renderAlerts();
}

/* ------------------------------------------------------------ frame intake */

let newestAt = null;     /* client time of the newest data, either transport */

function applyFrame(frame) {
	const d = frame.data && typeof frame.data === 'object' ? frame.data : {};
	const stale = new Set(Array.isArray(frame.stale) ? frame.stale : []);
	const sources = frame.sources && typeof frame.sources === 'object' ? frame.sources : {};
	const info = (p) => ({ stale: stale.has(SOURCE_OF[p]), source: sources[SOURCE_OF[p]] });
	/* "newest data" counts sections that came with data, neither failing nor stale */
	const fresh = (sec, p) => sec !== undefined && !sectionError(sec) && !stale.has(SOURCE_OF[p]);
	if (fresh(d.metrics, 'metrics') || fresh(d.containers, 'containers') || fresh(d.sessions, 'sessions')) newestAt = Date.now();
	if (shown.has('metrics') && ('metrics' in d || 'health' in d)) renderKato(d.metrics, d.health, info('metrics'));
	if (shown.has('containers') && 'containers' in d) renderContainers(d.containers, info('containers'));
	if (shown.has('sessions') && 'sessions' in d) renderSessions(d.sessions, info('sessions'));
	refreshAgos();
	renderConn();
}

/* ---------------------------------------------------------- WebSocket side */

let ws = null;            /* current socket, or null */
let wsLive = false;       /* a message has arrived on the current socket */
let attempt = 0;          /* reconnect attempts since the last good connection */
let retryAt = null;       /* when the next reconnect happens */
let retryTimer = null;
let pingTimer = null;
let lastMsgAt = 0;
let intervalMs = 3000;
let serverTopics = null;  /* topics the server says are in force */
let serverError = null;

function wsUrl() {
	/* relative to the page, so the dashboard also works under a path prefix */
	const u = new URL(CFG.wsPath, location.href);
	u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
	u.search = '';
	u.hash = '';
	return u.toString();
}

function connect() {
	retryTimer = null;
	retryAt = null;
	let sock;
	try {
		sock = new WebSocket(wsUrl());
	} catch (e) {
		wsDown();
		return;
	}
	ws = sock;
	wsLive = false;
	renderConn();
	sock.onmessage = (ev) => { if (sock === ws) onWsMessage(ev.data); };
	sock.onclose = () => { if (sock === ws) { ws = null; wsDown(); } };
	sock.onerror = () => { /* onclose follows and handles it */ };
}

function send(obj) {
	if (ws && ws.readyState === WebSocket.OPEN) ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
}

function wsUp() {
	wsLive = true;
	attempt = 0;
	stopPolling();
	clearInterval(pingTimer);
	pingTimer = setInterval(() => send({ type: 'ping' }), CFG.pingMs);
	updateSupplement();
}

function wsDown() {
	wsLive = false;
	clearInterval(pingTimer);
	pingTimer = null;
	stopSupplement();
	startPolling();
	scheduleReconnect();
	renderConn();
}

/* Exponential backoff with full jitter in [delay/2, delay]. */
function scheduleReconnect() {
	if (retryTimer) return;
	const cap = Math.min(CFG.backoffMaxMs, CFG.backoffBaseMs * Math.pow(2, attempt));
	const delay = Math.round(cap / 2 + Math.random() * cap / 2);
	attempt++;
	retryAt = Date.now() + delay;
	retryTimer = setTimeout(connect, delay);
}

/* No message at all for this long (frames come every tick, heartbeats answer
 * pings): the connection is dead even if TCP has not noticed yet. */
function watchdog() {
	if (!ws || !wsLive) return;
	const limit = Math.max(CFG.pingMs * 2 + 5000, intervalMs * 10);
	if (Date.now() - lastMsgAt > limit) {
		const s = ws;
		ws = null;
		try { s.close(); } catch (e) { /* already closing */ }
		wsDown();
	}
}

function onWsMessage(text) {
	lastMsgAt = Date.now();
	let msg;
	try { msg = JSON.parse(text); } catch (e) { return; }   /* not JSON: nothing for us */
	if (!msg || typeof msg !== 'object') return;
	if (!wsLive) wsUp();
	switch (msg.type) {
	case 'connected':
		if (isNum(msg.interval_ms) && msg.interval_ms > 0) intervalMs = msg.interval_ms;
		renderFoot();
		serverTopics = Array.isArray(msg.topics) ? msg.topics : null;
		send({ type: 'subscribe', subscriptions: wantedTopics().filter((t) => !serverTopics || serverTopics.includes(t)) });
		updateSupplement();
		break;
	case 'subscribed':
		break;
	case 'realtime_update':
		setServerError(null);
		if (isNum(msg.interval_ms) && msg.interval_ms > 0) intervalMs = msg.interval_ms;
		applyFrame(msg);
		break;
	case 'metrics_update':    /* legacy frames: the /metrics body only */
		setServerError(null);
		applyFrame({ data: { metrics: msg.data } });
		break;
	case 'session_event':
		if (shown.has('sessions')) onSessionEvent(msg);
		break;
	case 'system_alert':
		if (shown.has('alerts')) onSystemAlert(msg);
		break;
	case 'active_alerts':
		if (shown.has('alerts')) onActiveAlerts(msg);
		break;
	case 'heartbeat':
		break;
	case 'error': {
		const e = msg.error || {};
		const text = (e.code ? e.code + ': ' : '') + (e.message || 'server error');
		if (e.code === 'hub_unavailable') setServerError('Server: ' + text);
		else console.warn('kato-live server said:', text);
		break;
	}
	default:
		break;
	}
	renderConn();
}

function setServerError(text) {
	if (serverError === text) return;
	serverError = text;
	const b = $('server-error');
	b.textContent = text || '';
	b.hidden = !text;
}

/* --------------------------------------------------------- HTTP fallback */

let pollTimer = null;
let pollGen = 0;          /* bumps on stop: late answers of old polls are dropped */
let pollBusy = false;
let pollCtl = null;
let pollOkAt = null;      /* last poll that brought data */
let pollError = null;

async function fetchJson(path, signal) {
	let r;
	try {
		r = await fetch(path.replace(/^\//, ''), { signal, cache: 'no-store', headers: { Accept: 'application/json' } });
	} catch (e) {
		throw new Error(e && e.name === 'AbortError' ? `GET ${path}: timed out` : `GET ${path}: ${e.message || 'network error'}`);
	}
	let body = null;
	try { body = await r.json(); } catch (e) { body = null; }
	if (!r.ok) {
		/* kato-snapshot says why in {"error"}; KATO-style bodies in {"detail"} */
		const why = body && (body.error || body.detail);
		throw new Error(typeof why === 'string' ? `${why} (HTTP ${r.status})` : `GET ${path}: HTTP ${r.status}`);
	}
	if (body === null || typeof body !== 'object') throw new Error(`GET ${path}: not a JSON object`);
	return body;
}

/* Poll the given panels' paths once and render what came back. */
async function pollOnce(panels) {
	if (pollBusy) return;
	pollBusy = true;
	const gen = pollGen;
	const ctl = new AbortController();
	pollCtl = ctl;
	const timer = setTimeout(() => ctl.abort(), Math.max(1000, CFG.pollMs - 500));
	const paths = [];
	for (const p of panels) paths.push(...PANELS[p].paths);
	const res = {};
	await Promise.all(paths.map((p) => fetchJson(p, ctl.signal).then(
		(body) => { res[p] = { body }; },
		(err) => { res[p] = { error: err.message }; })));
	clearTimeout(timer);
	pollBusy = false;
	if (pollCtl === ctl) pollCtl = null;
	if (gen !== pollGen) return;    /* stopped meanwhile: the WebSocket is back */

	const data = {};
	const stale = new Set();
	let sources = {}, any = false;
	const errors = [];
	/* kato-snapshot adds "stale" (the stale sources) to each answer */
	const take = (p) => {
		const r = res[p];
		if (!r) return undefined;
		if (r.error) { errors.push(r.error); return { error: r.error }; }
		any = true;
		if (Array.isArray(r.body.stale)) for (const x of r.body.stale) stale.add(x);
		return r.body;
	};
	if (panels.includes('metrics')) {
		const h = take('/api/v1/health');
		if (h && !h.error && 'kato' in h) {
			/* kato-snapshot: {"status", "kato": <KATO /health body>|{"error"}, "sources", "stale", "age_ms"} */
			data.health = h.kato === null ? { error: 'no health from KATO' } : h.kato;
			if (h.sources && typeof h.sources === 'object') sources = h.sources;
		} else {
			data.health = h;
		}
		data.metrics = take('/api/v1/system/metrics');
	}
	if (panels.includes('containers')) data.containers = take('/api/v1/system/container-stats');
	if (panels.includes('sessions')) {
		const s = take('/api/v1/sessions/count');
		data.sessions = s && !s.error ? { active_count: num(s, 'active_count') ?? num(s, 'active_session_count'),
		                                  total_count: num(s, 'total_count') } : s;
	}
	pollError = errors.length ? errors.join('; ') : null;
	if (any) pollOkAt = Date.now();
	applyFrame({ data, stale: [...stale], sources });
}

function startPolling() {
	if (pollTimer) return;
	const panels = [...shown].filter((p) => PANELS[p].paths.length);
	if (!panels.length) return;
	pollGen++;
	pollOkAt = null;
	pollError = null;
	pollOnce(panels);
	pollTimer = setInterval(() => pollOnce(panels), CFG.pollMs);
	setNotices();
}

function stopPolling() {
	if (!pollTimer) return;
	clearInterval(pollTimer);
	pollTimer = null;
	pollGen++;
	if (pollCtl) pollCtl.abort();
	pollCtl = null;
	pollBusy = false;
	pollOkAt = null;
	setNotices();
}

/*
 * Supplement: panels whose topic the server does not offer over the WebSocket
 * (a feature flag turned it off) are polled over HTTP while the socket is up.
 * With every topic in force, nothing is polled.
 */
let supTimer = null;
let supPanels = [];

function updateSupplement() {
	const need = !serverTopics ? [] : [...shown].filter((p) =>
		PANELS[p].paths.length && PANELS[p].topics.some((t) => !serverTopics.includes(t)) &&
		!PANELS[p].topics.some((t) => serverTopics.includes(t)));
	if (need.join() === supPanels.join()) return;
	stopSupplement();
	supPanels = need;
	if (!need.length) return;
	const gen = pollGen;
	const run = () => { if (gen === pollGen && wsLive) pollOnce(need); };
	run();
	supTimer = setInterval(run, CFG.pollMs);
}

function stopSupplement() {
	clearInterval(supTimer);
	supTimer = null;
	supPanels = [];
}

/* ------------------------------------------------------ connection status */

function setNotices() {
	const polling = !!pollTimer;
	if (shown.has('alerts')) {
		panelNotice('alerts', polling ? 'Alerts arrive over the WebSocket only: none can arrive until it reconnects.' : null, 'info');
	}
	if (shown.has('sessions')) $('session-log-paused').hidden = !polling;
}

function renderFoot() {
	setText('foot-text', `kato-live · updates every ${Math.round(intervalMs / 100) / 10} s over the WebSocket; ` +
		`HTTP fallback every ${Math.round(CFG.pollMs / 1000)} s while it is down`);
}

function renderConn() {
	const c = $('conn');
	let state, text;
	const now = Date.now();
	if (wsLive) {
		state = 'live';
		text = 'Live over WebSocket';
	} else if (pollTimer && pollOkAt) {
		state = 'fallback';
		text = 'Fallback over HTTP (every ' + Math.round(CFG.pollMs / 1000) + ' s)';
	} else if (ws && attempt === 0) {
		state = 'connecting';
		text = 'Connecting…';
	} else {
		state = 'reconnecting';
		text = 'Reconnecting' + (pollTimer && pollError ? ' · HTTP fallback failing: ' + pollError : '');
	}
	if (c.dataset.state !== state) c.dataset.state = state;
	/* the status text is a live region: it changes with the state, not every second */
	setText('conn-text', text);
	const bits = [];
	if (!wsLive && retryAt) bits.push('WebSocket retry in ' + Math.max(0, Math.ceil((retryAt - now) / 1000)) + ' s');
	else if (!wsLive && ws) bits.push('WebSocket connecting');
	bits.push(newestAt ? 'newest data ' + fmtAgo(now - newestAt) : 'no data yet');
	setText('conn-age', bits.join(' · '));
	const age = newestAt ? now - newestAt : null;
	$('conn-age').dataset.old = age !== null && age > Math.max(3 * intervalMs, 15000) ? 'true' : 'false';
}

/* ------------------------------------------------------------------- start */

function start() {
	setupPanels();
	renderFoot();
	renderAlerts();
	setNotices();
	setInterval(() => { refreshAgos(); renderConn(); watchdog(); }, 1000);
	/* keep sparklines moving left even when no new point arrives, and
	 * redraw them at their new size when the window changes */
	const redraw = () => {
		for (const [name, tr] of containerRows) containerSpark(name, tr);
		if (shown.has('metrics')) drawKatoSpark();
	};
	setInterval(redraw, 15000);
	let rt = null;
	window.addEventListener('resize', () => { clearTimeout(rt); rt = setTimeout(redraw, 150); });
	connect();
	renderConn();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();

})();
