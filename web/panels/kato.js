/*
 * panels/kato.js - KATO's health and metrics: status badge, request rates,
 * host resources (coloured against the server's alert thresholds), its
 * databases, health issues, and a requests/s sparkline.
 */

import { DASH, isNum, num, fmtPct, fmtRate, fmtCount, fmtDuration, fmtAgo } from '../format.js';
import { levelFor } from '../store.js';
import { $, el, setText, setData, notice, setAgo } from '../dom.js';
import { Series, scaleTop, drawSpark } from '../spark.js';
import { sectionError, waiting, staleText } from './common.js';

const rps = new Series();
let last = null;          /* {m, h} as last rendered with data */
let freshAt = null;       /* client time of the last fresh metrics */
let stale = false;        /* the whole page is stale */
let sourceStale = false;  /* kato-metrics is stale in the frame */

function healthLevel(status) {
	return { healthy: 'ok', degraded: 'warn', unhealthy: 'bad' }[status] || 'unknown';
}

function meter(id, v, threshold) {
	const m = $(id);
	setText(m.querySelector('.meter-value'), fmtPct(v));
	m.querySelector('.meter-bar i').style.width = isNum(v) ? Math.min(100, Math.max(0, v)) + '%' : '0';
	setData(m, 'level', levelFor(v, threshold));
	m.classList.toggle('is-null', !isNum(v));
	m.title = !isNum(v) ? 'not measured' : isNum(threshold) ? `alert threshold ${fmtPct(threshold, 0)}` : '';
}

export function drawRpsSpark(now) {
	const r = rps.max();
	drawSpark($('kato-spark'), [{ series: rps, max: scaleTop(r, 1), cls: 's-rps' }],
		'Requests per second over the last 10 minutes' + (r === null ? '' : ', peak ' + fmtRate(r)), now);
}

/* The badge claims health only while the data is current. */
function renderBadge() {
	const badge = $('kato-status');
	const h = last && last.h;
	const status = h && typeof h.status === 'string' ? h.status : null;
	if (last && last.hErr && !stale) {
		setText(badge, 'not answering', 'KATO /health: ' + last.hErr);
		setData(badge, 'level', 'bad');
	} else if (stale || sourceStale) {
		setText(badge, 'unknown', status ? `last reported ${status}` + (freshAt ? ', ' + fmtAgo(Date.now() - freshAt) : '') : '');
		setData(badge, 'level', 'unknown');
	} else {
		setText(badge, status || 'unknown', '');
		setData(badge, 'level', healthLevel(status));
	}
}

/* metrics, health: the frame's sections (undefined: not in this frame);
 * info: {stale, source}; th: thresholds values. */
export function renderKato(metrics, health, info, th, now) {
	const mErr = metrics === null ? 'no metrics from KATO' : sectionError(metrics);
	/* kato-metrics sends health null when KATO's /health did not answer */
	const hErr = health === null ? 'KATO /health did not answer' : sectionError(health);
	const mOk = metrics !== undefined && !mErr;
	const hOk = health !== undefined && health !== null && !hErr;
	const m = mOk ? metrics : (last ? last.m : null);
	const h = hOk ? health : (last ? last.h : null);
	sourceStale = info.stale;
	last = { m, h, hErr: hOk ? null : hErr || (last && health === undefined ? last.hErr : null) };
	renderBadge();

	setText('kato-uptime', fmtDuration(num(m, 'uptime_seconds') ?? num(h, 'uptime_seconds')));
	setText('kato-rps', fmtRate(num(m, 'rates.requests_per_second')));
	const er = num(m, 'performance.error_rate');
	setText('kato-errors', isNum(er) ? fmtPct(er * 100, 2) : DASH);
	setData($('kato-errors'), 'level', isNum(er) ? levelFor(er, th.error_rate) : '');
	$('kato-errors').title = `alert threshold ${fmtPct(th.error_rate * 100, 2)}`;
	setText('kato-sessions', fmtCount(num(m, 'active_sessions') ?? num(m, 'sessions.active') ?? num(h, 'active_sessions')));
	setText('kato-requests', fmtCount(num(m, 'performance.total_requests')));
	const rt = num(m, 'performance.average_response_time');   /* seconds */
	setText('kato-latency', isNum(rt) ? (rt < 10 ? Math.round(rt * 1000) + ' ms' : fmtDuration(rt)) : DASH);
	const np = num(m, 'processor_manager.active_processors') ?? num(m, 'processor_manager.total_processors');
	const mp = num(m, 'processor_manager.max_processors');
	setText('kato-processors', isNum(np) ? fmtCount(np) + (isNum(mp) ? ' / ' + fmtCount(mp) : '') : DASH);
	meter('res-cpu', num(m, 'resources.cpu_percent'), th.host_cpu_percent);
	meter('res-mem', num(m, 'resources.memory_percent'), th.host_memory_percent);
	meter('res-disk', num(m, 'resources.disk_percent'), null);

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
	for (const it of list) issues.appendChild(el('li', '', typeof it === 'string' ? it : it && (it.message || JSON.stringify(it))));
	issues.hidden = list.length === 0;

	if (mOk) {
		rps.push(now, num(metrics, 'rates.requests_per_second'));
		if (!info.stale) { freshAt = now; setAgo($('kato-age'), freshAt, 'updated '); }
	}
	drawRpsSpark(now);

	let text = null, quiet = null;
	if (mErr) text = 'KATO metrics unavailable: ' + mErr;
	if (hErr) text = (text ? text + '. ' : '') + 'KATO health unavailable: ' + hErr;
	if (text && freshAt) quiet = '— showing values received ' + fmtAgo(now - freshAt);
	if (!text && info.stale) { const s = staleText('metrics', info); text = s.text; quiet = s.quiet; }
	notice('kato-notice', $('panel-kato'), text, waiting(mErr) && (!hErr || waiting(hErr)) ? 'info' : mErr || hErr ? 'bad' : 'warn', quiet);
}

/* The whole page went stale (or fresh again): the badge stops claiming. */
export function setKatoStale(s) {
	if (stale === s) return;
	stale = s;
	renderBadge();
}
