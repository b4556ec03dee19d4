/*
 * panels/containers.js - one row per container: status, CPU, memory (used /
 * limit, or "no limit"), network and block I/O as rates per second beside
 * their totals, and a CPU/memory sparkline.  CPU and memory are coloured
 * against the server's alert thresholds; a container with an alert firing
 * has its row highlighted.
 */

import { num, fmtPct, fmtBytes, fmtByteRate } from '../format.js';
import { levelFor } from '../store.js';
import { $, el, setText, setData, notice, setAgo } from '../dom.js';
import { Series, scaleTop, drawSpark } from '../spark.js';
import { sectionError, sectionNotice } from './common.js';

const hist = new Map();   /* name -> {cpu: Series, mem: Series} */
const rows = new Map();   /* name -> <tr> */
let freshAt = null;
let stale = false;        /* the whole page is stale */
let alerting = new Map(); /* name -> "error" | "warning" */

export function containerLevel(status) {
	if (!status) return 'unknown';
	if (/^(running|up|healthy)/i.test(status)) return 'ok';
	if (/^(paused|restarting|created|starting)/i.test(status)) return 'warn';
	if (/^(exited|dead|removing|stopped|unhealthy)/i.test(status)) return 'bad';
	return 'unknown';
}

/* Bytes from key, else from the old *_mb field; null when neither. */
function bytesOf(o, bytesKey, mbKey) {
	const b = num(o, bytesKey);
	if (b !== null) return b;
	const mb = num(o, mbKey);
	return mb !== null ? mb * 1048576 : null;
}

/* The memory limit: bytes, "none" (limit_bytes null beside a measured
 * usage: the container has no limit), or null (unknown). */
export function memLimit(c, used) {
	const m = c && c.memory;
	if (m && typeof m === 'object' && 'limit_bytes' in m && m.limit_bytes === null && used !== null) return 'none';
	return bytesOf(c, 'memory.limit_bytes', 'memory.limit_mb');
}

function cell(label, cls) {
	const td = el('td', cls);
	td.dataset.label = label;
	return td;
}

function twoLines(td) {
	td.appendChild(el('span', 'c-main'));
	td.appendChild(el('span', 'c-sub'));
	return td;
}

function makeRow(name) {
	const tr = el('tr');
	tr.dataset.name = name;
	const th = el('th', 'c-name');
	th.scope = 'row';
	th.title = name;
	th.appendChild(el('span', 'c-name-text', name));
	th.appendChild(el('span', 'c-alert', ''));
	tr.appendChild(th);
	const st = cell('Status', 'c-status');
	st.appendChild(el('span', 'badge'));
	tr.appendChild(st);
	tr.appendChild(cell('CPU', 'num c-cpu'));
	tr.appendChild(twoLines(cell('Memory', 'num c-mem')));
	tr.appendChild(twoLines(cell('Net rx / tx per s', 'num c-net')));
	tr.appendChild(twoLines(cell('Block read / write per s', 'num c-blk')));
	const sp = cell('Last 10 min', 'c-spark');
	sp.appendChild(el('span', 'spark'));
	tr.appendChild(sp);
	return tr;
}

const pair = (a, b) => a + ' / ' + b;

function drawRowSpark(name, tr, now) {
	const h = hist.get(name);
	const sp = tr.querySelector('.c-spark .spark');
	if (!h || !sp) return;
	const cpu = h.cpu.last(), mem = h.mem.last(), cmax = h.cpu.max(), mmax = h.mem.max();
	drawSpark(sp, [
		{ series: h.mem, max: scaleTop(mmax, 5), cls: 's-mem' },
		{ series: h.cpu, max: scaleTop(cmax, 5), cls: 's-cpu' },
	], `${name}, last 10 minutes: CPU ${fmtPct(cpu)} now` + (cmax !== null ? `, peak ${fmtPct(cmax)}` : '') +
	   `; memory ${fmtPct(mem)} now` + (mmax !== null ? `, peak ${fmtPct(mmax)}` : ''), now);
}

export function redrawContainerSparks(now) {
	for (const [name, tr] of rows) drawRowSpark(name, tr, now);
}

function paintStatus(tr) {
	const badge = tr.querySelector('.c-status .badge');
	const status = tr.dataset.status || '';
	if (stale) {
		setText(badge, status ? 'last: ' + status : 'unknown', status ? 'no new data: this is the last status reported' : '');
		setData(badge, 'level', 'unknown');
	} else {
		setText(badge, status || 'unknown', '');
		setData(badge, 'level', containerLevel(status));
	}
}

function paintAlert(tr) {
	const lvl = alerting.get(tr.dataset.name) || '';
	setData(tr, 'alert', lvl);
	setText(tr.querySelector('.c-alert'), lvl ? (lvl === 'error' ? 'alert firing' : 'warning firing') : '');
}

export function renderContainers(sec, info, th, now) {
	const err = sectionError(sec);
	if (sec !== undefined && !err) {
		const list = Array.isArray(sec.containers) ? sec.containers.slice() : [];
		list.sort((a, b) => String(a && a.name).localeCompare(String(b && b.name)));
		const body = $('containers-body');
		const seen = new Set();
		let prev = null, noLimit = false;
		for (const c of list) {
			if (!c || typeof c !== 'object') continue;
			const name = String(c.name || c.id || '?').replace(/^\//, '');
			if (seen.has(name)) continue;
			seen.add(name);
			let tr = rows.get(name);
			if (!tr) { tr = makeRow(name); rows.set(name, tr); }
			const want = prev ? prev.nextSibling : body.firstChild;
			if (want !== tr) body.insertBefore(tr, want);
			prev = tr;
			let h = hist.get(name);
			if (!h) { h = { cpu: new Series(), mem: new Series() }; hist.set(name, h); }

			const cpu = num(c, 'cpu');
			const used = bytesOf(c, 'memory.usage_bytes', 'memory.usage_mb');
			const lim = memLimit(c, used);
			if (lim === 'none') noLimit = true;
			const memPct = lim === 'none' ? null : num(c, 'memory.usage_percent');
			h.cpu.push(now, cpu);
			h.mem.push(now, memPct);

			tr.dataset.status = typeof c.status === 'string' ? c.status : '';
			paintStatus(tr);
			paintAlert(tr);
			const tdc = tr.querySelector('.c-cpu');
			setText(tdc, fmtPct(cpu), cpu === null ? 'not measured yet (CPU needs two samples)' :
				`100 % = one core; alert threshold ${fmtPct(th.cpu_percent, 0)}`);
			setData(tdc, 'level', levelFor(cpu, th.cpu_percent));
			setText(tr.querySelector('.c-mem .c-main'), pair(fmtBytes(used), lim === 'none' ? 'no limit' : fmtBytes(lim)));
			const sub = tr.querySelector('.c-mem .c-sub');
			setText(sub, fmtPct(memPct), lim === 'none' ? 'no memory limit: no percentage' :
				`alert threshold ${fmtPct(th.memory_percent, 0)}`);
			setData(sub, 'level', levelFor(memPct, th.memory_percent));
			setText(tr.querySelector('.c-net .c-main'),
				pair(fmtByteRate(num(c, 'network.rx_bytes_per_s')), fmtByteRate(num(c, 'network.tx_bytes_per_s'))));
			setText(tr.querySelector('.c-net .c-sub'), 'total ' +
				pair(fmtBytes(bytesOf(c, 'network.rx_bytes', 'network.rx_mb')), fmtBytes(bytesOf(c, 'network.tx_bytes', 'network.tx_mb'))));
			setText(tr.querySelector('.c-blk .c-main'),
				pair(fmtByteRate(num(c, 'block_io.read_bytes_per_s')), fmtByteRate(num(c, 'block_io.write_bytes_per_s'))));
			setText(tr.querySelector('.c-blk .c-sub'), 'total ' +
				pair(fmtBytes(bytesOf(c, 'block_io.read_bytes', 'block_io.read_mb')), fmtBytes(bytesOf(c, 'block_io.write_bytes', 'block_io.write_mb'))));
			drawRowSpark(name, tr, now);
		}
		for (const [name, tr] of rows) {
			if (!seen.has(name)) { tr.remove(); rows.delete(name); hist.delete(name); }
		}
		$('containers-empty').hidden = rows.size > 0;

		const a = sec.aggregated && typeof sec.aggregated === 'object' ? sec.aggregated : {};
		const n = num(a, 'container_count') ?? rows.size;
		const parts = [n + (n === 1 ? ' container' : ' containers')];
		const tc = num(a, 'total_cpu_percent');
		if (tc !== null) parts.push('CPU ' + fmtPct(tc));
		const tm = num(a, 'total_memory_mb'), tl = num(a, 'total_memory_limit_mb');
		/* a sum of limits means nothing when a container has none */
		if (tm !== null) parts.push('memory ' + fmtBytes(tm * 1048576) + (tl !== null && !noLimit ? ' of ' + fmtBytes(tl * 1048576) : ''));
		const rx = num(a, 'network.rx_bytes_per_s') ?? num(a, 'rx_bytes_per_s');
		const tx = num(a, 'network.tx_bytes_per_s') ?? num(a, 'tx_bytes_per_s');
		if (rx !== null || tx !== null) parts.push('net ' + pair(fmtByteRate(rx), fmtByteRate(tx)));
		setText('containers-summary', parts.join(' · '));
		if (!info.stale) { freshAt = now; setAgo($('containers-age'), freshAt, 'updated '); }
	}
	const n = sectionNotice('Container stats', err, info, freshAt, now);
	if (!freshAt && err) $('containers-empty').hidden = true;
	notice('containers-notice', $('panel-containers'), n.text, n.level, n.quiet);
}

/* Rows of containers with an alert firing: name -> level. */
export function setContainerAlerts(m) {
	alerting = m;
	for (const tr of rows.values()) paintAlert(tr);
}

export function setContainersStale(s) {
	if (stale === s) return;
	stale = s;
	for (const tr of rows.values()) paintStatus(tr);
}

