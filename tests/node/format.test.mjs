// The page's formatting (web/format.js): binary units, unknown is "—".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DASH, fmtBytes, fmtByteRate, fmtPct, fmtRate, fmtDuration, fmtAgo, fmtIn, fmtSpan, parseTime, shortId, num }
	from '../../web/format.js';

test('sizes are binary and labelled KiB/MiB/GiB as docker stats does', () => {
	assert.equal(fmtBytes(0), '0 B');
	assert.equal(fmtBytes(1023), '1023 B');
	assert.equal(fmtBytes(1024), '1.0 KiB');
	assert.equal(fmtBytes(1536), '1.5 KiB');
	assert.equal(fmtBytes(5 * 1048576), '5.0 MiB');
	assert.equal(fmtBytes(24 * 1073741824), '24 GiB');
	assert.equal(fmtBytes(1048575), '1.0 MiB', 'no "1024 KiB"');
	assert.equal(fmtBytes(3 * 1099511627776), '3.0 TiB');
});

test('rates are per second', () => {
	assert.equal(fmtByteRate(2048), '2.0 KiB/s');
	assert.equal(fmtByteRate(0), '0 B/s');
});

test('what was not measured is —, never 0', () => {
	for (const v of [null, undefined, NaN, Infinity, '12', {}]) {
		assert.equal(fmtBytes(v), DASH);
		assert.equal(fmtByteRate(v), DASH);
		assert.equal(fmtPct(v), DASH);
		assert.equal(fmtRate(v), DASH);
		assert.equal(fmtDuration(v), DASH);
		assert.equal(fmtAgo(v), DASH);
		assert.equal(fmtIn(v), DASH);
	}
	assert.equal(num({ a: { b: '3' } }, 'a.b'), null);
	assert.equal(num({ a: { b: 3 } }, 'a.b'), 3);
	assert.equal(num(null, 'a.b'), null);
});

test('times for people', () => {
	assert.equal(fmtPct(61.54), '61.5 %');
	assert.equal(fmtPct(0.0123 * 100, 2), '1.23 %');
	assert.equal(fmtRate(432.1), '432');
	assert.equal(fmtDuration(7322), '2 h 2 min');
	assert.equal(fmtSpan(40000), '40 s');
	assert.equal(fmtSpan(125000), '2 min');
	assert.equal(fmtAgo(3000), '3 s ago');
	assert.equal(fmtIn(3599000), 'in 59 min');
	assert.equal(fmtIn(-5), 'expired');
	assert.equal(parseTime('2026-11-25T18:45:47.538Z'), Date.UTC(2026, 10, 25, 18, 45, 47, 538));
	assert.equal(parseTime('2026-11-25T18:45:47.538+00:00'), Date.UTC(2026, 10, 25, 18, 45, 47, 538));
	assert.equal(parseTime(1764096347.5), 1764096347500);
	assert.equal(parseTime('yesterday'), null);
	assert.equal(parseTime(null), null);
	assert.equal(parseTime(''), null);
});

test('session ids are shortened, KATO\'s to session-<8 hex>…', () => {
	assert.equal(shortId('session-0123456789abcdef0123456789abcdef-1764096347538'), 'session-01234567…');
	assert.equal(shortId('short-id'), 'short-id');
	assert.equal(shortId('x'.repeat(40)), 'x'.repeat(16) + '…');
});
