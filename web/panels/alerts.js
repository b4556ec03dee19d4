/*
 * panels/alerts.js - alerts firing now and resolved since the page opened.
 * When the page cannot know (no new data, or the fallback cannot tell) the
 * panel says alerts are unknown, never "none firing".
 */

import { DASH, isNum, fmtPct, fmtClock, fmtSpan } from '../format.js';
import { AlertBook } from '../store.js';
import { $, el, setText, setData, notice, agoEl } from '../dom.js';

export const book = new AlertBook();
let unknown = null;   /* why alerts are unknown, or null */

function fmtAlertValue(a) {
	const v = a.value, th = a.threshold;
	if (typeof v === 'string' && v) return v;    /* e.g. KATO's health status */
	if (!isNum(v) && !isNum(th)) return '';
	const t = String(a.type || '');
	const pctLike = /cpu|memory|disk/i.test(t), rateLike = /error_rate/i.test(t);
	const f = (x) => !isNum(x) ? DASH : pctLike ? fmtPct(x) : rateLike ? fmtPct(x * 100, 2) : String(Math.round(x * 1000) / 1000);
	return 'value ' + f(v) + (isNum(th) ? ', threshold ' + f(th) : '');
}

function alertItem(a, since, at) {
	const li = el('li', 'alert');
	li.dataset.level = a.level || 'warning';
	li.dataset.type = a.type || '';
	if (typeof a.container === 'string') li.dataset.container = a.container;
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
		const lasted = since && at >= since ? ' after ' + fmtSpan(at - since) : '';
		meta.appendChild(el('span', '', 'resolved ' + fmtClock(at) + (since ? ' (fired ' + fmtClock(since) + lasted + ')' : '') + ' · '));
		meta.appendChild(agoEl('span', 'alert-ago', at));
	} else {
		meta.appendChild(el('span', '', 'since ' + fmtClock(since) + ' · '));
		meta.appendChild(agoEl('span', 'alert-ago', since));
	}
	li.appendChild(meta);
	return li;
}

let announced = new Set();   /* ids firing at the last render */

/* New firing alerts are announced once, in words that do not tick (the
 * list itself holds "N s ago" and is not a live region). */
function announce(items) {
	const now = new Set();
	const fresh = [];
	for (const it of items) {
		const id = it.alert.id || it.alert.type;
		now.add(id);
		if (!announced.has(id)) fresh.push(it.alert.message || it.alert.type || 'alert');
	}
	announced = now;
	if (fresh.length) setText('alerts-announce', 'Alert firing: ' + fresh.join('; '));
}

export function renderAlerts() {
	const f = $('alerts-firing');
	f.textContent = '';
	const items = book.firingList();
	for (const it of items) f.appendChild(alertItem(it.alert, it.since, null));
	announce(items);
	$('alerts-firing-empty').hidden = items.length > 0 || !!unknown;
	const r = $('alerts-resolved');
	r.textContent = '';
	for (const it of book.resolved) r.appendChild(alertItem(it.alert, it.since, it.at));
	$('alerts-resolved-empty').hidden = book.resolved.length > 0;
	const badge = $('alerts-count');
	if (unknown) {
		setText(badge, items.length ? items.length + ' firing?' : 'unknown');
		setData(badge, 'level', 'unknown');
	} else {
		setText(badge, items.length ? items.length + ' firing' : 'none firing');
		setData(badge, 'level', items.some((i) => i.alert.level === 'error') ? 'bad' : items.length ? 'warn' : 'ok');
	}
	const title = (items.length ? `(${items.length}) ` : '') + 'KATO live';
	if (document.title !== title) document.title = title;
	notice('alerts-notice', $('panel-alerts'), unknown ? 'Alerts unknown: ' + unknown : null, 'warn');
	$('panel-alerts').classList.toggle('is-unknown', !!unknown);
}

/* Why the page cannot know which alerts fire (null: it can). */
export function setAlertsUnknown(why) {
	if (unknown === why) return;
	unknown = why;
	renderAlerts();
}
