/*
 * dom.js - small DOM helpers the panels share.  Everything from the wire is
 * written with textContent: no HTML from the server reaches innerHTML.
 */

import { fmtAgo } from './format.js';

export const $ = (id) => document.getElementById(id);

export function el(tag, cls, text) {
	const e = document.createElement(tag);
	if (cls) e.className = cls;
	if (text !== undefined && text !== null) e.textContent = text;
	return e;
}

/* Write only what changed: an unchanged live region is not re-announced and
 * an unchanged node costs no style work. */
export function setText(target, text, title) {
	const e = typeof target === 'string' ? $(target) : target;
	if (!e) return;
	if (e.textContent !== text) e.textContent = text;
	if (title !== undefined && e.title !== title) e.title = title;
}

export function setData(e, key, value) {
	if (e && e.dataset[key] !== value) e.dataset[key] = value;
}

/* Elements showing "N s ago" carry data-at (ms) and are refreshed each
 * second by refreshAgos().  They are never inside a live region. */
export function agoEl(tag, cls, at, prefix) {
	const e = el(tag, cls);
	setAgo(e, at, prefix);
	return e;
}

export function setAgo(e, at, prefix) {
	e.classList.add('ago');
	e.dataset.at = String(at);
	e.dataset.prefix = prefix || '';
	e.textContent = (prefix || '') + fmtAgo(Date.now() - at);
}

export function refreshAgos(now) {
	for (const e of document.querySelectorAll('.ago[data-at]')) {
		const at = Number(e.dataset.at);
		if (!Number.isFinite(at)) continue;
		setText(e, (e.dataset.prefix || '') + fmtAgo(now - at));
	}
}

/*
 * A panel's notice: <p class="notice" id="..."> holding a live part (role
 * status: what is wrong, announced when it changes) and a quiet part (how
 * long ago, which changes every tick and is not announced).  level: bad,
 * warn, info.  A notice other than info marks the panel's values as not
 * current (dimmed).
 */
export function notice(id, section, text, level, quiet) {
	const n = $(id);
	if (!n) return;
	let live = n.querySelector('.notice-text'), q = n.querySelector('.notice-age');
	if (!live) {
		n.textContent = '';
		live = el('span', 'notice-text');
		live.setAttribute('role', 'status');
		q = el('span', 'notice-age');
		n.append(live, q);
	}
	if (text) {
		setText(live, text);
		setText(q, quiet ? ' ' + quiet : '');
		setData(n, 'level', level || 'warn');
		if (n.hidden) n.hidden = false;
		if (section) section.classList.toggle('has-problem', level !== 'info');
	} else {
		if (!n.hidden) n.hidden = true;
		setText(live, '');
		setText(q, '');
		if (section) section.classList.remove('has-problem');
	}
}
