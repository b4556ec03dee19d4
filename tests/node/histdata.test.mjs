// web/histdata.js: the history charts' pure parts (node --test).
import test from 'node:test';
import assert from 'node:assert/strict';
import {
	stepFor, historyPath, chartLines, toColumns, appendFrame, addLine, frameValue,
	frameContainers, gaps, fmtUnit, markText, CHARTS, FIRST_CHARTS, CONTAINER_CHARTS, firstPath, containerPath,
	eventsPath, pointRange, RANGES,
} from '../../web/histdata.js';
import { readFileSync } from 'node:fs';

const cpu = CHARTS.find((c) => c.id === 'ccpu');
const host = CHARTS.find((c) => c.id === 'host');
const errors = CHARTS.find((c) => c.id === 'errors');

function frame(opts = {}) {
	return {
		type: 'realtime_update', timestamp: '2026-11-25T18:45:00.000Z', stale: opts.stale || [],
		data: {
			metrics: { resources: { cpu_percent: 21.5, memory_percent: 40, disk_percent: 50 },
				performance: { error_rate: 0.02 } },
			containers: { containers: [{ name: 'kato', cpu: 12, memory: { usage_bytes: 1024 } },
				{ name: 'redis', cpu: 1, memory: { usage_bytes: 2048 } }] },
			sessions: { active_count: 3 },
		},
	};
}

test('a range asks for the fine tier up to an hour, then minutes, at most ~1200 points', () => {
	assert.equal(stepFor(600), 3);
	assert.equal(stepFor(3600), 3);
	assert.equal(stepFor(6 * 3600), 60);
	assert.equal(stepFor(24 * 3600), 120);
	assert.equal(stepFor(7 * 86400), 3600); /* the store's hour tier */
	assert.match(historyPath(3600), /^\/api\/v1\/history\?since=-3600&step=3&series=/);
});

test('a pattern becomes one line per container, sorted, on the chart\'s one scale', () => {
	const lines = chartLines(cpu, { 'container.redis.cpu_percent': [], 'container.kato.cpu_percent': [], 'host.cpu_percent': [] });
	assert.deepEqual(lines.map((l) => l.label), ['kato', 'redis']);
});

test('answers become uPlot columns; nulls stay null, scales apply', () => {
	const cols = toColumns(errors, { step: 3, time: [0, 3, 6], series: { 'kato.error_rate': [0.01, null, 0.5] } });
	assert.deepEqual(cols.data, [[0, 3, 6], [1, null, 50]]);
	const none = toColumns(host, { step: 3, time: [0, 3], series: {} });
	assert.deepEqual(none.data[1], [null, null]);
});

test('a live frame appends; a missing tick becomes a gap, not a line; old points leave the window', () => {
	const cols = toColumns(host, { step: 3, time: [100, 103], series: { 'host.cpu_percent': [1, 2] } });
	assert.ok(appendFrame(cols, frame(), 106, 3600));
	assert.deepEqual(cols.data[0], [100, 103, 106]);
	assert.equal(cols.data[1][2], 21.5);
	// three minutes without frames
	assert.ok(appendFrame(cols, frame(), 106 + 180, 3600));
	assert.deepEqual(cols.data[0].slice(-2), [109, 286]);
	assert.equal(cols.data[1][3], null);
	assert.deepEqual(gaps(cols.data[0], cols.data[1]), [[109, 109]]);
	// not newer: dropped
	assert.equal(appendFrame(cols, frame(), 200, 3600), false);
	// the window
	appendFrame(cols, frame(), 286 + 3600, 3600);
	assert.ok(cols.data[0][0] >= 286);
});

test('frame values: stale and failed sections are unknown, not their old numbers', () => {
	assert.equal(frameValue(frame(), 'host.cpu_percent'), 21.5);
	assert.equal(frameValue(frame({ stale: ['kato-metrics'] }), 'host.cpu_percent'), null);
	assert.equal(frameValue(frame(), 'container.redis.memory_bytes'), 2048);
	assert.equal(frameValue(frame({ stale: ['docker-stats'] }), 'container.redis.cpu_percent'), null);
	assert.equal(frameValue(frame(), 'container.gone.cpu_percent'), null);
	assert.equal(frameValue(frame(), 'sessions.active'), 3);
	const f = frame();
	f.data.sessions = { error: 'down' };
	assert.equal(frameValue(f, 'sessions.active'), null);
});

test('two Docker hosts: live values under container.HOST/NAME as kato-history names them; a stopped host is a gap', () => {
	const f = frame({ stale: ['docker-stats@b'] });
	f.data.containers = { containers: [{ name: 'kato', host: 'a', cpu: 10 }, { name: 'kato', host: 'b', cpu: 20, stale: true }],
		hosts: { a: {}, b: {} } };
	assert.deepEqual(frameContainers(f), ['a/kato', 'b/kato']);
	assert.equal(frameValue(f, 'container.a/kato.cpu_percent'), 10);
	assert.equal(frameValue(f, 'container.b/kato.cpu_percent'), null);
	assert.equal(frameValue(f, 'container.kato.cpu_percent'), null);
	// one host: the name alone, as stored before hosts were named
	const one = frame();
	one.data.containers.containers[0].host = 'a';
	one.data.containers.hosts = { a: {} };
	assert.deepEqual(frameContainers(one), ['kato', 'redis']);
	assert.equal(frameValue(one, 'container.kato.cpu_percent'), 12);
});

test('a container that appears gets a line that is empty before it', () => {
	const cols = toColumns(cpu, { step: 3, time: [100], series: { 'container.kato.cpu_percent': [5] } });
	addLine(cols, { key: 'container.redis.cpu_percent', label: 'redis', scale: 1 });
	appendFrame(cols, frame(), 103, 3600);
	assert.deepEqual(cols.data, [[100, 103], [5, 12], [null, 1]]);
});

test('units', () => {
	assert.equal(fmtUnit(null, '%'), '—');
	assert.equal(fmtUnit(21.5, '%'), '21.5 %');
	assert.equal(fmtUnit(1536, 'bytes'), '1.5 KiB');
	assert.equal(fmtUnit(3 * 1024 * 1024, 'B/s'), '3.0 MiB/s');
	assert.equal(fmtUnit(42, 'ms'), '42.0 ms');
	assert.equal(fmtUnit(1234, 'req/s'), '1234/s');
	assert.equal(fmtUnit(0, 'count'), '0.0');
});

test('marks as text', () => {
	assert.equal(markText({ kind: 'alert', state: 'firing', level: 'warning', message: 'CPU at 91%' }), 'warning: CPU at 91%');
	assert.equal(markText({ kind: 'alert', state: 'resolved', message: 'CPU ok' }), 'resolved: CPU ok');
	assert.equal(markText({ kind: 'session', event_type: 'session_created', delta: 1 }), 'session created (+1)');
});

test('the first paint asks only for the charts without containers; containers at <= 240 points with min and max', () => {
	assert.deepEqual(FIRST_CHARTS.map((c) => c.id), ['requests', 'errors', 'latency', 'host', 'sessions']);
	assert.deepEqual(CONTAINER_CHARTS.map((c) => c.id), ['ccpu', 'cmem', 'cnet']);
	const first = decodeURIComponent(firstPath(3600));
	assert.match(first, /step=3&/);
	assert.doesNotMatch(first, /container/);
	const conts = decodeURIComponent(containerPath(3600));
	assert.match(conts, /since=-3600&step=15&/);
	assert.match(conts, /container\.\*\.cpu_percent,container\.\*\.cpu_percent:min,container\.\*\.cpu_percent:max,/);
	assert.doesNotMatch(conts, /host\./);
	assert.match(containerPath(600), /step=3&/); /* 10 min: 200 points anyway, */
	assert.doesNotMatch(decodeURIComponent(containerPath(600)), /:min|:max/); /* each one stored value */
	assert.match(containerPath(7 * 86400), /step=3600&/);
});

test('index.html preloads exactly the paths the first load asks for', () => {
	const html = readFileSync(new URL('../../web/index.html', import.meta.url), 'utf8');
	const hrefs = [...html.matchAll(/<link rel="preload" as="fetch" crossorigin="anonymous" href="([^"]+)">/g)]
		.map((m) => m[1].replace(/&amp;/g, '&'));
	assert.equal(RANGES[1].secs, 3600); /* the default range */
	assert.deepEqual(hrefs, [firstPath(3600).slice(1), eventsPath(3600).slice(1)]);
});

test('a coarser answer keeps each point\'s min and max; live frames append at 3 s after it; a gap is still a gap', () => {
	const cpu = CHARTS.find((c) => c.id === 'ccpu');
	const answer = { step: 15, time: [0, 15, 30], series: {
		'container.kato.cpu_percent': [2, null, 7], 'container.kato.cpu_percent:min': [0, null, 5],
		'container.kato.cpu_percent:max': [4, null, 9],
		'container.redis.cpu_percent': [1, 1, 1], 'container.redis.cpu_percent:min': [1, 1, 1],
		'container.redis.cpu_percent:max': [1, 1, 1] } };
	const cols = toColumns(cpu, answer);
	assert.deepEqual(cols.lines.map((l) => l.label), ['kato', 'redis']);
	assert.deepEqual(cols.data, [[0, 15, 30], [2, null, 7], [1, 1, 1]]);
	assert.deepEqual(pointRange(cols, 0, 0), [0, 4]);
	assert.equal(pointRange(cols, 0, 1), null); /* missing */
	assert.equal(pointRange(cols, 1, 0), null); /* min = max: nothing more to say */
	// the last point covers [30, 45): a frame at 42 is on time, no gap
	assert.ok(appendFrame(cols, frame(), 42, 3600));
	assert.deepEqual(cols.data[0], [0, 15, 30, 42]);
	assert.deepEqual(cols.data[1].slice(-1), [12]);
	assert.deepEqual([cols.lo[0][3], cols.hi[0][3]], [12, 12]);
	// then 3 s points: 45 on time, 51 after a missed tick is a gap at 48
	appendFrame(cols, frame(), 45, 3600);
	appendFrame(cols, frame(), 51, 3600);
	assert.deepEqual(cols.data[0].slice(-3), [45, 48, 51]);
	assert.equal(cols.data[1][5], null);
	assert.equal(cols.lo[0].length, cols.data[0].length);
	// a frame long after a coarse point: the gap starts where the point ends
	const c2 = toColumns(cpu, answer);
	appendFrame(c2, frame(), 30 + 15 + 3 + 3, 3600);
	assert.deepEqual(c2.data[0], [0, 15, 30, 45, 51]);
	assert.equal(c2.data[1][3], null);
	// a container that appears: empty before, its min and max too
	addLine(c2, { key: 'container.new.cpu_percent', label: 'new', scale: 1 });
	assert.deepEqual(c2.lo[2], [null, null, null, null, null]);
	// without :min and :max (3 s answers) there is no range
	const fine = toColumns(cpu, { step: 3, time: [0], series: { 'container.kato.cpu_percent': [1] } });
	assert.equal(fine.lo, null);
	assert.equal(pointRange(fine, 0, 0), null);
});
