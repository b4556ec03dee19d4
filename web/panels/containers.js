/*
 * panels/containers.js - one row per container: status, CPU, memory (used /
 * limit, or "no limit"), network and block I/O as rates per second beside
 * their totals, and a CPU/memory sparkline.  CPU and memory are coloured
 * against the server's alert thresholds; a container with an alert firing
 * has its row highlighted.  With the containers of two or more Docker hosts
 * a Host column shows, rows are keyed "HOST/NAME" (as kato-alerts names
 * them), and the rows of a host that stopped reporting ("stale":true) are
 * marked: their status reads "last: ...", their trend has a gap.
 */

import { num, fmtPct, fmtBytes, fmtByteRate } from '../format.js';
import { levelFor } from '../store.js';
import { $, el, setText, setData, notice, setAgo } from '../dom.js';
import { Series, scaleTop, drawSpark } from '../spark.js';
import { sectionError, sectionNotice } from './common.js';

const hist = new Map();   /* key -> {cpu: Series, mem: Series} */
const rows = new Map();   /* key (NAME, or HOST/NAME with several hosts) -> <tr> */
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

/* Whether a containers section holds two or more Docker hosts. */
export function manyHosts(sec) {
	const h = sec && sec.hosts;
	return !!h && typeof h === 'object' && !Array.isArray(h) && Object.keys(h).length > 1;
}

/* The key a container's row (and its alerts) go by. */
export function rowKey(c, many) {
	const name = String(c.name || c.id || '?').replace(/^\//, '');
	return many && typeof c.host === 'string' && c.host ? c.host + '/' + name : name;
}

function makeRow(key, name) {
	const tr = el('tr');
	tr.dataset.name = key;
	const th = el('th', 'c-name');
	th.scope = 'row';
	th.title = name;
	th.appendChild(el('span', 'c-name-text', name));
	th.appendChild(el('span', 'c-alert', ''));
	tr.appendChild(th);
	const host = cell('Host', 'c-host');
	host.hidden = true;
	tr.appendChild(host);
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
	const hostStale = tr.dataset.hostStale === '1';
	if (stale || hostStale) {
		setText(badge, status ? 'last: ' + status : 'unknown', !status ? '' : hostStale
			? `host ${tr.dataset.host} stopped reporting: this is the last status it sent`
			: 'no new data: this is the last status reported');
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
		const many = manyHosts(sec);
		const list = (Array.isArray(sec.containers) ? sec.containers : [])
			.filter((c) => c && typeof c === 'object');
		list.sort((a, b) => rowKey(a, many).localeCompare(rowKey(b, many)));
		const body = $('containers-body');
		for (const th of document.querySelectorAll('#panel-containers thead .c-host')) th.hidden = !many;
		const seen = new Set();
		const staleHosts = new Set();
		let prev = null, noLimit = false;
		for (const c of list) {
			const key = rowKey(c, many);
			const name = String(c.name || c.id || '?').replace(/^\//, '');
			if (seen.has(key)) continue;
			seen.add(key);
			let tr = rows.get(key);
			if (!tr) { tr = makeRow(key, name); rows.set(key, tr); }
			const want = prev ? prev.nextSibling : body.firstChild;
			if (want !== tr) body.insertBefore(tr, want);
			prev = tr;
			let h = hist.get(key);
			if (!h) { h = { cpu: new Series(), mem: new Series() }; hist.set(key, h); }
			const host = typeof c.host === 'string' ? c.host : '';
			const hostStale = c.stale === true;
			if (hostStale && host) staleHosts.add(host);
			const hc = tr.querySelector('.c-host');
			hc.hidden = !many;
			const hb = many && host && sec.hosts[host] && typeof sec.hosts[host] === 'object' ? sec.hosts[host] : null;
			setText(hc, host || '—', !hostStale ? '' : hb && typeof hb.error === 'string'
				? `this host's container engine fails: ${hb.error}` : 'this host stopped reporting');
			tr.dataset.host = host;
			tr.dataset.hostStale = hostStale ? '1' : '';

			const cpu = num(c, 'cpu');
			const used = bytesOf(c, 'memory.usage_bytes', 'memory.usage_mb');
			const lim = memLimit(c, used);
			if (lim === 'none') noLimit = true;
			const memPct = lim === 'none' ? null : num(c, 'memory.usage_percent');
			/* a stopped host's figures are not news: a gap in the trend */
			h.cpu.push(now, hostStale ? null : cpu);
			h.mem.push(now, hostStale ? null : memPct);

			tr.dataset.status = typeof c.status === 'string' ? c.status : '';
			paintStatus(tr);
			paintAlert(tr);
			const tdc = tr.querySelector('.c-cpu');
			setText(tdc, fmtPct(cpu), cpu === null ? 'not measured yet (CPU needs two samples)' :
				`100 % = one core; alert threshold ${fmtPct(th.cpu_percent, 0)}`);
			/* a stopped host's last figures are not judged against the thresholds */
			setData(tdc, 'level', hostStale ? '' : levelFor(cpu, th.cpu_percent));
			setText(tr.querySelector('.c-mem .c-main'), pair(fmtBytes(used), lim === 'none' ? 'no limit' : fmtBytes(lim)));
			const sub = tr.querySelector('.c-mem .c-sub');
			setText(sub, fmtPct(memPct), lim === 'none' ? 'no memory limit: no percentage' :
				`alert threshold ${fmtPct(th.memory_percent, 0)}`);
			setData(sub, 'level', hostStale ? '' : levelFor(memPct, th.memory_percent));
			setText(tr.querySelector('.c-net .c-main'),
				pair(fmtByteRate(num(c, 'network.rx_bytes_per_s')), fmtByteRate(num(c, 'network.tx_bytes_per_s'))));
			setText(tr.querySelector('.c-net .c-sub'), 'total ' +
				pair(fmtBytes(bytesOf(c, 'network.rx_bytes', 'network.rx_mb')), fmtBytes(bytesOf(c, 'network.tx_bytes', 'network.tx_mb'))));
			setText(tr.querySelector('.c-blk .c-main'),
				pair(fmtByteRate(num(c, 'block_io.read_bytes_per_s')), fmtByteRate(num(c, 'block_io.write_bytes_per_s'))));
			setText(tr.querySelector('.c-blk .c-sub'), 'total ' +
				pair(fmtBytes(bytesOf(c, 'block_io.read_bytes', 'block_io.read_mb')), fmtBytes(bytesOf(c, 'block_io.write_bytes', 'block_io.write_mb'))));
			drawRowSpark(key, tr, now);
		}
		for (const [key, tr] of rows) {
			if (!seen.has(key)) { tr.remove(); rows.delete(key); hist.delete(key); }
		}
		$('containers-empty').hidden = rows.size > 0;

		const a = sec.aggregated && typeof sec.aggregated === 'object' ? sec.aggregated : {};
		/* with several hosts every row counts: a stopped host's too */
		const n = many ? rows.size : num(a, 'container_count') ?? rows.size;
		const parts = [n + (n === 1 ? ' container' : ' containers')];
		if (many) {
			const nh = Object.keys(sec.hosts).length;
			parts[0] += ` on ${nh} hosts`;
			/* the totals are the reporting hosts' only */
			if (staleHosts.size) parts.push('not reporting: ' + [...staleHosts].sort().join(', '));
		}
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

