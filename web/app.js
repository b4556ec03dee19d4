/*
 * app.js - the kato-live dashboard's entry point (an ES module, served as is
 * by websocketd; no build step).  It wires the transport (transport.js: the
 * WebSocket, the HTTP fallback), what the page knows (store.js) and the
 * panels (panels/*.js), and keeps the header and footer honest:
 *
 *   - the stream is stale by itself when the newest frame is older than two
 *     ticks (heartbeats are not data): the header says "No new data for
 *     40 s", every panel dims, health badges stop claiming health, alerts
 *     are "unknown";
 *   - the dashboard's own server being unreachable is said in the header,
 *     and never painted on KATO;
 *   - the footer says what is in force (WebSocket, HTTP fallback, alert
 *     thresholds from the server or defaults).
 *
 * ?panels=a,b shows only those panels (metrics, alerts, containers,
 * sessions); ?ping=SECONDS and ?poll=SECONDS change the ping and poll
 * periods.  Rules kept everywhere: a number the server could not measure is
 * "—", never 0; nothing from the wire reaches innerHTML.
 */

import { Transport, describe, inForce, CODES } from './transport.js';
import { thresholdsOf, fallbackFrame, sourceOf, sessionListStale } from './store.js';
import { $, setText, setData, refreshAgos } from './dom.js';
import { renderKato, setKatoStale, drawRpsSpark } from './panels/kato.js';
import { renderContainers, setContainerAlerts, setContainersStale, redrawContainerSparks } from './panels/containers.js';
import { renderSessions, onSessionUpdate, onSessionEvent, resetSessionList, setSessionListState,
	tickSessionList, setSessionLogPaused } from './panels/sessions.js';
import { book, renderAlerts, setAlertsUnknown } from './panels/alerts.js';

const params = new URLSearchParams(location.search);

function secondsParam(name, dflt, min) {
	const v = Number(params.get(name));
	return params.has(name) && Number.isFinite(v) && v >= min ? v * 1000 : dflt;
}

const CFG = {
	pingMs: secondsParam('ping', 30000, 1),
	pollMs: secondsParam('poll', 5000, 1),
};

/* ------------------------------------------------------------- panels */

const shown = new Set();

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

/* -------------------------------------------------------------- state */

let frameAt = null;        /* client time of the newest frame (either transport) */
let lastFrame = null;      /* the newest frame, for the sessions list's source state */
let thresholds = thresholdsOf(null);
let thresholdsSeen = false;/* a frame has told us (or not) what the server uses */
let alertsPollUnknown = null;
let history = null;        /* the history module, once loaded */

function frameInfo(frame, panel) {
	const stale = Array.isArray(frame.stale) ? frame.stale : [];
	const sources = frame.sources && typeof frame.sources === 'object' ? frame.sources : {};
	const name = sourceOf(panel, sources);
	return { stale: stale.includes(name), source: sources[name], name };
}

function applyFrame(frame, at) {
	const now = Date.now();
	const d = frame.data && typeof frame.data === 'object' ? frame.data : {};
	if (at !== null && (frameAt === null || at > frameAt)) frameAt = at;
	lastFrame = frame;
	/* thresholds: the server's, from each realtime_update; the HTTP
	 * fallback's answers carry none, so the last ones stay */
	if (frame.type === 'realtime_update') {
		const t = thresholdsOf(d);
		if (!thresholdsSeen || t.fromServer !== thresholds.fromServer || JSON.stringify(t.values) !== JSON.stringify(thresholds.values)) {
			thresholds = t;
			thresholdsSeen = true;
			renderFoot();
		}
	}
	const th = thresholds.values;
	if (shown.has('metrics') && ('metrics' in d || 'health' in d)) renderKato(d.metrics, d.health, frameInfo(frame, 'metrics'), th, now);
	if (shown.has('containers') && 'containers' in d) renderContainers(d.containers, frameInfo(frame, 'containers'), th, now);
	if (shown.has('sessions') && 'sessions' in d) renderSessions(d.sessions, frameInfo(frame, 'sessions'), now);
	if (history && frame.type === 'realtime_update') {
		try { history.historyAppend(frame); } catch (e) { console.warn('history:', e); }
	}
	renderConn();
}

/* ----------------------------------------------------- server messages */

let serverError = null;

function setServerError(text) {
	if (serverError === text) return;
	serverError = text;
	const b = $('server-error');
	b.textContent = text || '';
	b.hidden = !text;
}

function onMessage(msg) {
	const now = Date.now();
	switch (msg.type) {
	case 'connected':
		/* a new connection: the hub sends the whole session list again */
		if (shown.has('sessions')) resetSessionList();
		renderFoot();
		break;
	case 'realtime_update':
		setServerError(null);
		applyFrame(msg, now);
		break;
	case 'metrics_update':    /* legacy frames: the /metrics body only */
		setServerError(null);
		applyFrame({ type: 'metrics_update', data: { metrics: msg.data } }, now);
		break;
	case 'session_update':
		if (shown.has('sessions')) onSessionUpdate(msg, now);
		break;
	case 'session_event':
		if (shown.has('sessions')) onSessionEvent(msg, now);
		break;
	case 'system_alert':
		book.systemAlert(msg, now);
		alertsChanged();
		break;
	case 'active_alerts':
		book.activeAlerts(msg, now);
		alertsChanged();
		break;
	case 'error': {
		const e = msg.error && typeof msg.error === 'object' ? msg.error : {};
		const why = typeof e.message === 'string' ? e.message : '';
		if (e.code === CODES.hubUnavailable)
			setServerError('The dashboard server\'s pipeline is unavailable (hub_unavailable)' + (why ? ': ' + why : ''));
		else if (e.code === CODES.streamStalled)
			setServerError('The dashboard server\'s pipeline stopped sending data (stream_stalled)' + (why ? ': ' + why : ''));
		else if (e.code === CODES.tooSlow)
			setServerError(null);     /* the header says "you fell behind" */
		else
			console.warn('kato-live server said:', (e.code ? e.code + ': ' : '') + (why || 'error'));
		break;
	}
	default:
		break;
	}
}

function alertsChanged() {
	if (shown.has('alerts')) renderAlerts();
	if (shown.has('containers')) setContainerAlerts(book.byContainer());
}

function onPoll(kind, results, panels, now) {
	const f = fallbackFrame(results, panels, now);
	/* the dashboard server answered but its pipeline did not: say so; no
	 * answer at all is the header's "unreachable" */
	setServerError(f.reachable && f.server ? 'The dashboard server has no data: ' + f.server : null);
	if (Object.keys(f.data).length) applyFrame({ type: 'poll', data: f.data, stale: f.stale, sources: f.sources }, f.frameAt);
	if (f.alerts) {
		if (f.alerts.unknown) {
			alertsPollUnknown = f.alerts.unknown;
		} else {
			alertsPollUnknown = null;
			book.activeAlerts(f.alerts, now);
			alertsChanged();
		}
	} else if (!f.reachable && panels.includes('alerts')) {
		alertsPollUnknown = 'the dashboard server does not answer';
	}
	renderConn();
}

/* ------------------------------------------------------ header, footer */

let transport = null;

function renderFoot() {
	if (!transport) return;
	const th = !thresholdsSeen ? '' : thresholds.fromServer
		? ' · colours follow the server\'s alert thresholds' + (thresholds.defaulted.length ? ' (defaults for ' + thresholds.defaulted.join(', ') + ')' : '')
		: ' · the server sent no alert thresholds: colours use the defaults (CPU 80 %, memory 85 %, error rate 5 %)';
	setText('foot-text', 'kato-live · ' + inForce(transport) + th);
}

function renderConn() {
	if (!transport) return;
	const now = Date.now();
	const d = describe(transport, frameAt, now);
	const c = $('conn');
	setData(c, 'state', d.state);
	setText('conn-text', d.text);
	setText('conn-age', d.detail ? ' ' + d.detail : '');
	const stale = d.stale;
	document.body.classList.toggle('page-stale', stale);
	setKatoStale(stale);
	setContainersStale(stale);
	const polling = transport.polling;
	const ws = transport.wsLive;
	let alertsWhy = null;
	if (stale) alertsWhy = 'no new data from the server';
	else if (!ws && !polling && frameAt === null) alertsWhy = null;
	else if (polling || (ws && transport.pollers.supplement && transport.pollers.supplement.panels.includes('alerts'))) alertsWhy = alertsPollUnknown;
	else if (d.state === 'down' || d.state === 'behind') alertsWhy = 'not connected to the dashboard server';
	setAlertsUnknown(alertsWhy);
	if (shown.has('sessions')) {
		const src = lastFrame && lastFrame.sources && lastFrame.sources['kato-sessions'];
		setSessionListState({ stale: !!lastFrame && sessionListStale(lastFrame), page: stale, polling: polling && !ws,
			refused: transport.wsRefused,
			sourceError: src && typeof src.error === 'string' ? src.error : null });
		setSessionLogPaused(polling && !ws, transport.wsRefused);
	}
	renderFoot();
}

/* ------------------------------------------------------------- history */

/* Charts live in history.js (another module, maybe absent): it exports
 * initHistory(rootElement, {fetchJSON}) and historyAppend(frame).  Without
 * the file the section stays hidden and nothing else changes. */
async function fetchJSON(path) {
	const r = await fetch(String(path).replace(/^\//, ''), { cache: 'no-store', headers: { Accept: 'application/json' } });
	let body = null;
	try { body = await r.json(); } catch (e) { body = null; }
	if (!r.ok) throw new Error(body && typeof body.error === 'string' ? `${body.error} (HTTP ${r.status})` : `GET ${path}: HTTP ${r.status}`);
	return body;
}

function loadHistory() {
	const root = $('history');
	if (!root) return;
	import('./history.js').then((m) => {
		if (!m || typeof m.initHistory !== 'function' || typeof m.historyAppend !== 'function') return;
		m.initHistory(root, { fetchJSON });
		history = m;
	}).catch(() => { /* no history.js here: no charts */ });
}

/* --------------------------------------------------------------- start */

function wsUrl() {
	/* relative to the page, so the dashboard also works under a path prefix */
	const u = new URL('ws', location.href);
	u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
	u.search = '';
	u.hash = '';
	return u.toString();
}

function start() {
	setupPanels();
	transport = new Transport({
		env: {
			WebSocket: window.WebSocket, fetch: (...a) => window.fetch(...a),
			setTimeout: (...a) => window.setTimeout(...a), clearTimeout: (t) => window.clearTimeout(t),
			setInterval: (...a) => window.setInterval(...a), clearInterval: (t) => window.clearInterval(t),
			now: () => Date.now(), random: () => Math.random(),
		},
		wsUrl: wsUrl(), pingMs: CFG.pingMs, pollMs: CFG.pollMs,
		panels: [...shown], onMessage, onPoll, onChange: renderConn,
	});
	renderAlerts();
	setInterval(() => {
		const now = Date.now();
		transport.watchdog();
		refreshAgos(now);
		renderConn();
		if (shown.has('sessions')) tickSessionList(now);
	}, 1000);
	/* keep sparklines moving left even when no new point arrives */
	setInterval(() => {
		const now = Date.now();
		redrawContainerSparks(now);
		if (shown.has('metrics')) drawRpsSpark(now);
	}, 15000);
	transport.start();
	renderConn();
	loadHistory();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
