/*
 * panels/sessions.js - session counts, the list of KATO's open sessions
 * (from session_update messages: the retained ones first, then deltas), and
 * the log of session events, each naming its session.
 */

import { DASH, num, fmtCount, fmtClock, fmtSpan, fmtAgo, fmtIn, parseTime, shortId } from '../format.js';
import { SessionList, expiresAt } from '../store.js';
import { $, el, setText, notice, setAgo } from '../dom.js';
import { sectionError, sectionNotice } from './common.js';

export const LIST_MAX = 100;    /* rows drawn; the rest are counted */
const LOG_MAX = 200;

export const sessions = new SessionList();
let freshAt = null;
let renderTimer = null;
let listStale = false, pageStale = false, paused = false, everList = false, wsOff = false;

export function renderSessions(sec, info, now) {
	const err = sectionError(sec);
	if (sec !== undefined && !err) {
		const active = num(sec, 'active_count') ?? num(sec, 'active_session_count');
		const total = num(sec, 'total_count');
		setText('sessions-active', fmtCount(active), active === null ? 'not reported' : '');
		setText('sessions-total', fmtCount(total), total === null ? 'KATO does not report a total' : '');
		if (!info.stale) { freshAt = now; setAgo($('sessions-age'), freshAt, 'updated '); }
	}
	const n = sectionNotice('Session counts', err, info, freshAt, now);
	notice('sessions-notice', $('panel-sessions'), n.text, n.level, n.quiet);
}

/* One session_update from the server. */
export function onSessionUpdate(msg, now) {
	if (sessions.apply(msg, now) === null) return;
	everList = true;
	scheduleList();
}

/* A new connection: the hub sends the whole list again. */
export function resetSessionList() {
	sessions.clear();
	scheduleList();
}

/* The frame says the list's source is stale, or the whole page is. */
export function setSessionListState({ stale, page, polling, refused, sourceError }) {
	const changed = stale !== listStale || page !== pageStale || polling !== paused || refused !== wsOff;
	listStale = stale; pageStale = page; paused = polling; wsOff = refused;
	if (changed) listNotice(sourceError);
}

function listNotice(sourceError) {
	let text = null;
	if (paused && wsOff) text = 'The session list comes over the WebSocket only, which this server has turned off.';
	else if (paused) text = 'The session list updates over the WebSocket only: paused until it reconnects.';
	else if (listStale) text = 'Stale: the session list is not being updated' + (sourceError ? ' (' + sourceError + ')' : '') + '.';
	else if (pageStale) text = 'Stale: no new data; the list may be out of date.';
	notice('session-list-notice', null, text, paused ? 'info' : 'warn');
	$('session-list').classList.toggle('is-dim', !!text && !paused);
}

/* The list is redrawn at most every 100 ms: on connect the hub may send
 * thousands of retained updates in a row. */
function scheduleList() {
	if (renderTimer) return;
	renderTimer = setTimeout(() => { renderTimer = null; renderList(Date.now()); }, 100);
}

function idCell(id) {
	const th = el('th', 's-id');
	th.scope = 'row';
	const s = el('span', 'sid');
	s.tabIndex = 0;
	s.title = id;
	s.appendChild(el('span', 'sid-short', shortId(id))).setAttribute('aria-hidden', 'true');
	s.appendChild(el('span', 'sid-full', id));
	th.appendChild(s);
	return th;
}

function timeCells(tr, e, now) {
	const c = parseTime(e.created_at), a = parseTime(e.last_accessed), x = expiresAt(e);
	setText(tr.children[2], c === null ? DASH : fmtSpan(now - c), e.created_at ? 'created ' + fmtClock(c) : '');
	setText(tr.children[3], a === null ? DASH : fmtAgo(now - a), e.last_accessed ? fmtClock(a) : '');
	setText(tr.children[4], x === null ? DASH : fmtIn(x - now), x === null ? '' : 'at ' + fmtClock(x));
}

function renderList(now) {
	const body = $('session-list-body');
	const list = sessions.newest(LIST_MAX);
	body.textContent = '';
	for (const e of list) {
		const tr = el('tr');
		tr.dataset.id = e.session_id;
		tr.appendChild(idCell(e.session_id));
		tr.appendChild(el('td', 's-node', e.node_id || DASH));
		for (let i = 0; i < 3; i++) tr.appendChild(el('td', 'num s-time'));
		timeCells(tr, e, now);
		body.appendChild(tr);
	}
	const n = sessions.size;
	setText('session-list-count', n > LIST_MAX ? `newest ${LIST_MAX} of ${fmtCount(n)}` : n ? fmtCount(n) : '');
	$('session-list-empty').hidden = n > 0;
	setText('session-list-empty', everList ? 'No open sessions.' :
		'No session list from the server yet (it reads KATO\'s Redis: REDIS_URL).');
	$('session-list-wrap').hidden = n === 0;
}

/* Ages and countdowns, every second. */
export function tickSessionList(now) {
	for (const tr of $('session-list-body').children) {
		const e = sessions.map.get(tr.dataset.id);
		if (e) timeCells(tr, e, now);
	}
}

export function onSessionEvent(msg, now) {
	const log = $('session-log');
	const at = parseTime(msg.timestamp) ?? now;
	const type = String(msg.event_type || 'session_event');
	const d = msg.data && typeof msg.data === 'object' ? msg.data : {};
	const li = el('li', 'log-item');
	li.dataset.type = type;
	const created = /created/.test(type), expired = /expired/.test(type), destroyed = /destroyed|deleted/.test(type);
	const t = el('time', 'log-time', fmtClock(at));
	t.dateTime = new Date(at).toISOString();
	li.appendChild(t);
	li.appendChild(el('span', 'log-kind ' + (created ? 'k-up' : expired || destroyed ? 'k-down' : ''),
		created ? 'created' : expired ? 'expired' : destroyed ? 'ended' : type.replace(/^session_/, '')));
	const text = el('span', 'log-text');
	const id = typeof d.session_id === 'string' ? d.session_id : typeof msg.session_id === 'string' ? msg.session_id : null;
	if (id) {
		const s = el('span', 'sid', shortId(id));
		s.title = id;
		text.appendChild(s);
		const node = typeof d.node_id === 'string' ? d.node_id : null;
		text.appendChild(document.createTextNode((node ? ' on ' + node : '') + ' · '));
	}
	const delta = num(d, 'delta'), cur = num(d, 'current_count'), prev = num(d, 'previous_count');
	let t2 = '';
	if (delta !== null && !id) t2 += (delta > 0 ? '+' : '') + delta + (Math.abs(delta) === 1 ? ' session' : ' sessions');
	if (cur !== null) t2 += (t2 ? ', ' : '') + 'now ' + cur + ' active' + (prev !== null ? ' (was ' + prev + ')' : '');
	text.appendChild(document.createTextNode(t2 || (id ? '' : DASH)));
	li.appendChild(text);
	log.insertBefore(li, log.firstChild);
	while (log.children.length > LOG_MAX) log.removeChild(log.lastChild);
	$('session-log-empty').hidden = true;
	if (cur !== null) setText('sessions-active', fmtCount(cur), '');
}

export function setSessionLogPaused(p, refused) {
	$('session-log-paused').hidden = !p;
	setText('session-log-paused', refused ? 'Session events come over the WebSocket only, which this server has turned off.'
		: 'Session events arrive over the WebSocket only: paused until it reconnects.');
}
