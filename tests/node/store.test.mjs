// What the page knows (web/store.js): staleness, thresholds, the sessions
// list, alerts, and the HTTP fallback's answers turned into a frame.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { freshness, thresholdsOf, levelFor, DEFAULT_THRESHOLDS, SessionList, expiresAt, AlertBook,
	fallbackFrame, sessionListStale, sourceOf, POLL_PATHS } from '../../web/store.js';

const fixture = (name) => JSON.parse(readFileSync(new URL('fixtures/' + name, import.meta.url), 'utf8'));

test('a frame older than two ticks is stale; heartbeats do not enter into it', () => {
	assert.deepEqual(freshness(null, 10000, 3000), { ageMs: null, stale: false, none: true });
	assert.equal(freshness(10000, 16000, 3000).stale, false);
	assert.equal(freshness(10000, 16600, 3000).stale, true);
	assert.equal(freshness(10000, 50000, 3000).ageMs, 40000);
});

test('thresholds come from the frame; defaults only when absent, and it says so', () => {
	const d = thresholdsOf({ metrics: {} });
	assert.equal(d.fromServer, false);
	assert.deepEqual(d.values, DEFAULT_THRESHOLDS);
	const s = thresholdsOf(fixture('frame-new.json').data);
	assert.equal(s.fromServer, true);
	assert.equal(s.values.cpu_percent, 60);
	assert.equal(s.values.error_rate, 0.02);
	assert.deepEqual(s.defaulted, []);
	const part = thresholdsOf({ thresholds: { cpu_percent: 50, memory_percent: 'x' } });
	assert.equal(part.fromServer, true);
	assert.equal(part.values.memory_percent, 85);
	assert.ok(part.defaulted.includes('memory_percent'));
	assert.equal(levelFor(60, 60), 'bad');
	assert.equal(levelFor(55, 60), 'warn');
	assert.equal(levelFor(10, 60), 'ok');
	assert.equal(levelFor(null, 60), 'unknown');
});

test('sessions list: retained updates, then deltas; removed deletes; newest first', () => {
	const l = new SessionList();
	for (const m of fixture('session-updates.ndjson.json')) l.apply(m, 1000);
	const ids = l.newest().map((e) => e.session_id);
	assert.deepEqual(ids, ['session-cccccccccccccccccccccccccccccccc-1764600200000',
		'session-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-1764600000000']);
	const a = l.map.get(ids[1]);
	assert.equal(a.access_count, 7, 'updated in place');
	assert.equal(a.node_id, 'node-a');
	assert.equal(l.apply({ type: 'session_update', op: 'removed', session: { session_id: 'nope' } }, 1), null);
	assert.equal(l.apply({ type: 'session_update', op: 'added', session: { session_id: 42 } }, 1), null);
	assert.equal(l.apply({ type: 'session_update', op: 'bogus', session: { session_id: 'x' } }, 1), null);
	assert.equal(l.size, 2);
	assert.equal(l.dropped, 2);
});

test('a reset (a new kato-sessions upstream) forgets every session; the list that follows is whole', () => {
	const l = new SessionList();
	for (const m of fixture('session-updates.ndjson.json')) l.apply(m, 1000);
	assert.equal(l.size, 2);
	assert.equal(l.apply({ type: 'session_update', op: 'reset', timestamp: '2026-12-02T07:00:00Z' }, 2000), 'reset');
	assert.equal(l.size, 0);
	l.apply({ type: 'session_update', op: 'added', session: { session_id: 's-new' } }, 2001);
	assert.deepEqual(l.newest().map((e) => e.session_id), ['s-new']);
	assert.equal(l.dropped, 0);
});

test('sessions list is bounded', () => {
	const l = new SessionList(3);
	for (let i = 0; i < 5; i++) l.apply({ op: 'added', session: { session_id: 's' + i } }, i);
	assert.equal(l.size, 3);
	assert.deepEqual(l.newest().map((e) => e.session_id), ['s2', 's1', 's0'], 'arrival order without created_at');
});

test('a session expires at expires_at, else ttl_ms after it arrived', () => {
	assert.equal(expiresAt({ expires_at: '2026-12-02T04:00:00+00:00', ttl_ms: 5, received: 0 }), Date.UTC(2026, 11, 2, 4));
	assert.equal(expiresAt({ expires_at: null, ttl_ms: 5000, received: 1000 }), 6000);
	assert.equal(expiresAt({ expires_at: null, ttl_ms: null, received: 1000 }), null);
});

test('the sessions list is stale when the frame says kato-sessions is', () => {
	assert.equal(sessionListStale({ stale: ['kato-sessions'] }), true);
	assert.equal(sessionListStale({ stale: [], sources: { 'kato-sessions': { ok: false, error: 'connect to redis://h:1: refused' } } }), true);
	assert.equal(sessionListStale({ stale: [], sources: { 'kato-sessions': { ok: true } } }), false);
	assert.equal(sourceOf('sessions', { 'kato-sessions': {} }), 'kato-sessions');
	assert.equal(sourceOf('sessions', { 'session-summary': {} }), 'session-summary');
	assert.equal(sourceOf('sessions', null), 'session-summary');
});

test('alerts: firing, resolved with the level they fired with, per-container', () => {
	const b = new AlertBook();
	b.systemAlert({ id: 'a1', timestamp: '2026-12-02T03:00:00Z', state: 'firing',
		alerts: [{ id: 'a1', level: 'warning', type: 'high_cpu', container: 'kato-redis', since: '2026-12-02T03:00:00Z' }] }, 0);
	b.systemAlert({ id: 'a2', state: 'firing', alerts: [{ id: 'a2', level: 'error', type: 'high_memory', container: '/kato' }] }, 5);
	assert.deepEqual([...b.byContainer()], [['kato-redis', 'warning'], ['kato', 'error']]);
	b.systemAlert({ id: 'a1', timestamp: '2026-12-02T03:01:00Z', state: 'resolved', alerts: [{ id: 'a1', level: 'info', type: 'high_cpu', container: 'kato-redis' }] }, 0);
	assert.equal(b.firing.size, 1);
	assert.equal(b.resolved[0].alert.level, 'warning');
	assert.equal(b.resolved[0].at - b.resolved[0].since, 60000);
	b.activeAlerts({ alerts: [] }, 0);
	assert.equal(b.firing.size, 0);
});

const ok = (body) => ({ status: 200, body });
const all = Object.keys(POLL_PATHS);

test('fallback: answers become a frame; its time is the server frame\'s age', () => {
	const f = fallbackFrame({
		'/api/v1/health': ok({ status: 'healthy', kato: { status: 'healthy' }, sources: { 'kato-metrics': { ok: true } }, stale: [], age_ms: 800 }),
		'/api/v1/system/metrics': ok({ rates: { requests_per_second: 7 }, stale: [], age_ms: 800 }),
		'/api/v1/system/container-stats': ok({ containers: [], stale: ['docker-stats'], age_ms: 800 }),
		'/api/v1/sessions/count': ok({ active_count: 3, active_session_count: 3, stale: [], age_ms: 800 }),
		'/api/v1/alerts': ok({ alerts: [{ id: 'x', type: 'high_cpu' }], timestamp: 'T' }),
	}, all, 10000);
	assert.equal(f.frameAt, 9200);
	assert.equal(f.server, null);
	assert.equal(f.reachable, true);
	assert.deepEqual(f.stale, ['docker-stats']);
	assert.equal(f.data.health.status, 'healthy');
	assert.equal(f.data.sessions.active_count, 3);
	assert.equal(f.alerts.alerts.length, 1);
});

test('fallback blames the right thing: KATO\'s failure in its panel, the server\'s in the header', () => {
	const kato = fallbackFrame({
		'/api/v1/system/metrics': { status: 503, body: { error: 'kato-metrics: GET http://kato:8000/metrics: Connection refused', source: 'kato-metrics', stale: false } },
		'/api/v1/health': ok({ status: 'unknown', kato: null, stale: [], age_ms: 100 }),
	}, ['metrics'], 1000);
	assert.match(kato.data.metrics.error, /Connection refused \(HTTP 503\)/);
	assert.equal(kato.server, null);

	const hub = fallbackFrame({
		'/api/v1/system/metrics': { status: 503, body: { error: 'no data: kato-live\'s hub is not running (connect: No such file)' } },
		'/api/v1/health': { status: 503, body: { error: 'no data: kato-live\'s hub is not running (connect: No such file)' } },
	}, ['metrics'], 1000);
	assert.deepEqual(hub.data, {}, 'nothing painted on KATO');
	assert.equal(hub.reachable, true);
	assert.match(hub.server, /hub is not running/);
	assert.equal(hub.frameAt, null);

	const gone = fallbackFrame({
		'/api/v1/system/metrics': { netError: 'GET /api/v1/system/metrics: Failed to fetch' },
		'/api/v1/health': { netError: 'GET /api/v1/health: Failed to fetch' },
		'/api/v1/alerts': { netError: 'GET /api/v1/alerts: Failed to fetch' },
	}, ['metrics', 'alerts'], 1000);
	assert.deepEqual(gone.data, {});
	assert.equal(gone.reachable, false);
	assert.match(gone.alerts.unknown, /Failed to fetch/);
});

test('fallback without an alerts route: alerts are unknown, not "none firing"', () => {
	const f = fallbackFrame({ '/api/v1/alerts': { status: 404, body: { error: 'no such path' } } }, ['alerts'], 0);
	assert.ok(f.alerts.unknown);
	assert.equal(f.alerts.alerts, undefined);
});
