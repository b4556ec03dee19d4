#!/usr/bin/env node
// Browser test of the history charts (web/history.js) in Debian's chromium,
// headless, driven by playwright-core (never a downloaded browser).
//
//   node tests/browser/history.mjs
//
// KL_URL names a harness page (tests/history-web.bats writes it) that
// loads web/history.js as the dashboard does, served by websocketd with
// the history API as CGI over a store holding the last hour: frame i
// (3 s apart) has host CPU i % 100, and frames 600..659 are missing; its
// containers c0 and c1 have CPU N + i % 10 and memory (N + 1) MiB.  KL_H0
// is frame 0's time.  The per-container charts come after the first paint
// at 15 s steps: checked against the API's answer and the frames.
// Prints "first-paint-ms N" on stdout; exit 0 pass, 1 fail (why on stderr).
import { chromium } from 'playwright-core';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ARTIFACTS = process.env.KL_ARTIFACTS || path.resolve(here, '../../build/test-artifacts');

function check(cond, what) { if (!cond) throw new Error(what); }

const browser = await chromium.launch({
	executablePath: process.env.KL_CHROMIUM || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
		'--disable-component-update', '--no-first-run'],
});
let rc = 0;
try {
	const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } });
	const errors = [];
	page.on('pageerror', (e) => errors.push(String(e)));
	await page.goto(process.env.KL_URL);
	// first paint: the host chart has its hour
	await page.waitForFunction(() => window.__hist && window.__hist.historyColumns('host') &&
		window.__hist.historyColumns('host').data[0].length >= 1200, null, { timeout: 30000 });
	const ms = await page.evaluate(() => performance.now());
	console.log(`first-paint-ms ${Math.round(ms)}`);
	const cols = await page.evaluate(() => window.__hist.historyColumns('host'));
	const cpu = cols.data[1];
	// between the first and the last frame: exactly the 60 missing ones,
	// in one run (the ends may be null: the hour is the server's, now)
	let a = 0, b = cpu.length - 1;
	while (a < b && cpu[a] === null) a++;
	while (b > a && cpu[b] === null) b--;
	const inner = cpu.slice(a, b + 1);
	const nulls = inner.filter((v) => v === null).length;
	check(nulls === 60, `expected the 3-minute outage as 60 null points, got ${nulls}`);
	const first = inner.indexOf(null);
	check(inner.slice(first, first + 60).every((v) => v === null), 'the outage is not one gap');
	check(inner[first - 1] === 99 && inner[first + 60] === 60, `around the gap: ${inner[first - 1]}, ${inner[first + 60]}`);
	check(cols.lines[0] === 'CPU', `host chart lines ${cols.lines}`);
	const canvases = await page.locator('#history canvas').count();
	check(canvases >= 6, `expected the charts drawn, found ${canvases} canvases`);

	// the per-container charts, drawn after the first paint (one task
	// each) at 15 s steps: the API's values, the outage as a gap
	await page.waitForFunction(() => ['ccpu', 'cmem', 'cnet'].every((id) => window.__hist.historyColumns(id)),
		null, { timeout: 30000 });
	const order = await page.evaluate(() => ['history-drawn', 'history-containers-drawn']
		.map((n) => performance.getEntriesByName(n)[0]).map((e) => e && e.startTime));
	check(order[0] > 0 && order[1] > order[0], `first paint, then the container charts: marks ${order}`);
	// the first paint's answer holds no container series; theirs comes after
	const asked = await page.evaluate(() => performance.getEntriesByType('resource')
		.filter((e) => /\/api\/v1\/history\?/.test(e.name)).map((e) => decodeURIComponent(e.name)));
	check(asked.length >= 2 && !/container/.test(asked[0]) && /step=3&/.test(asked[0]) &&
		/step=15&series=container\./.test(asked[1]), `history requests: ${JSON.stringify(asked)}`);
	const h0 = Number(process.env.KL_H0);
	check(h0 > 0, 'KL_H0 not set');
	const got = await page.evaluate(async () => {
		const hd = await import('./histdata.js');
		const r = await fetch(hd.containerPath(3600).slice(1), { cache: 'no-store' });
		return { answer: await r.json(), ccpu: window.__hist.historyColumns('ccpu'),
			cmem: window.__hist.historyColumns('cmem') };
	});
	const { answer, ccpu, cmem } = got;
	check(answer.step === 15, `container answer step ${answer.step}`);
	check(ccpu.lines.join() === 'c0,c1' && cmem.lines.join() === 'c0,c1', `container lines ${ccpu.lines} / ${cmem.lines}`);
	check(JSON.stringify(ccpu.data[0]) === JSON.stringify(answer.time), 'container chart times are not the answer\'s');
	for (const [k, name] of [[1, 'c0'], [2, 'c1']]) {
		const want = answer.series[`container.${name}.cpu_percent`];
		check(JSON.stringify(ccpu.data[k]) === JSON.stringify(want), `${name} CPU drawn differs from the API's`);
		const lo = answer.series[`container.${name}.cpu_percent:min`], hi = answer.series[`container.${name}.cpu_percent:max`];
		want.forEach((v, i) => {
			if (v === null) return check(lo[i] === null && hi[i] === null, `${name} min/max at a gap ${i}`);
			const n = k - 1;
			check(v >= n && v <= n + 9 && lo[i] <= v && v <= hi[i] && lo[i] >= n && hi[i] <= n + 9,
				`${name} CPU point ${i}: ${lo[i]} <= ${v} <= ${hi[i]}, frames hold ${n}..${n + 9}`);
		});
	}
	// memory is constant per container: every drawn point is exactly it
	cmem.data[2].forEach((v) => check(v === null || v === 2 * 1048576, `c1 memory ${v}`));
	// a point is null exactly when no frame lies in its 15 s (frames near
	// its edges, a few ms of jitter, may fall either way)
	let gapPoints = 0;
	ccpu.data[0].forEach((T, i) => {
		if (T < h0 || T + 15 > h0 + 3600) return;
		const inside = [];
		for (let f = 0; f < 1200; f++) if (h0 + 3 * f >= T + 1 && h0 + 3 * f <= T + 14) inside.push(f);
		const kept = inside.filter((f) => f < 600 || f >= 660);
		const v = ccpu.data[1][i];
		if (kept.length === 0) { gapPoints++; check(v === null, `point ${T}: no frame, drawn ${v}`); }
		else if (kept.length === inside.length) check(v !== null, `point ${T}: frames ${inside}, drawn null`);
	});
	check(gapPoints >= 11 && gapPoints <= 12, `the 3-minute outage as 11-12 null 15 s points, got ${gapPoints}`);
	// the readout says a coarse point's min and max, and the title the step
	const cfig = page.locator('figure.hist-chart').nth(5);
	const title = await cfig.locator('.u-title').textContent();
	check(/15 s averages/.test(title), `container CPU title: "${title}"`);
	await cfig.focus();
	await page.keyboard.press('Home');
	let k = 0;
	while (ccpu.data[2][k] === null || answer.series['container.c1.cpu_percent:min'][k] === answer.series['container.c1.cpu_percent:max'][k]) {
		await page.keyboard.press('ArrowRight');
		k++;
	}
	const ctext = await cfig.locator('figcaption').textContent();
	const fmt = (x) => x.toFixed(1);
	const cwant = `c1 ${fmt(ccpu.data[2][k])} % (${fmt(answer.series['container.c1.cpu_percent:min'][k])} %–${fmt(answer.series['container.c1.cpu_percent:max'][k])} %)`;
	check(ctext.includes(cwant), `container readout "${ctext}", want "${cwant}"`);
	check(await page.locator('#history canvas').count() >= 8, 'not all eight charts drawn');
	await page.screenshot({ path: path.join(ARTIFACTS, 'history-hour.png'), fullPage: true });

	// the cursor reads the right value, from the keyboard: End = the last
	// frame (i = 1199: CPU 99 %), then one to the left (98 %)
	const fig = page.locator('figure.hist-chart').nth(3);
	await fig.focus();
	await page.keyboard.press('End');
	let last = cpu.length - 1;
	while (cpu[last] === null) last--;
	const steps = cpu.length - 1 - last;
	for (let i = 0; i < steps; i++) await page.keyboard.press('ArrowLeft');
	let text = await fig.locator('figcaption').textContent();
	check(/CPU 99\.0 %/.test(text), `cursor readout at the last frame: "${text}"`);
	await page.keyboard.press('ArrowLeft');
	text = await fig.locator('figcaption').textContent();
	check(/CPU 98\.0 %/.test(text), `cursor readout one step back: "${text}"`);
	// uPlot's own legend shows the same
	const legend = await fig.locator('.u-legend').textContent();
	check(legend.includes('98.0 %'), `legend: "${legend}"`);

	// ranges from the keyboard
	await page.locator('.hist-ranges button[data-range="10m"]').focus();
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => /10 min of history/.test(document.querySelector('.hist-status').textContent),
		null, { timeout: 20000 });
	const pressed = await page.locator('.hist-ranges button[aria-pressed="true"]').textContent();
	check(pressed === '10 min', `pressed range: ${pressed}`);
	// marks from the store: the alert and the session event
	const marks = await page.locator('.hist-marks li').allTextContents();
	check(errors.length === 0, `page errors: ${errors.join('; ')}`);
	await page.locator('.hist-ranges button[data-range="1h"]').click();
	await page.waitForFunction(() => document.querySelectorAll('.hist-mark').length >= 2, null, { timeout: 20000 });
	const all = await page.locator('.hist-mark').allTextContents();
	check(all.some((t) => /warning: CPU at/.test(t)) && all.some((t) => /session created/.test(t)),
		`marks: ${JSON.stringify(all)} (10 min: ${JSON.stringify(marks)})`);
	// a live frame after the last point: appended to the container charts
	// (the 1 h range again: wait for its container charts)
	await page.waitForFunction(() => /Container charts: 15 s averages/.test(document.querySelector('.hist-status').textContent),
		null, { timeout: 20000 });
	const now = await page.evaluate(() => window.__hist.historyColumns('ccpu'));
	const lastT = now.data[0][now.data[0].length - 1];
	const live = await page.evaluate((t) => {
		window.__hist.historyAppend({ type: 'realtime_update', timestamp: new Date(t * 1000).toISOString(), stale: [],
			data: { containers: { containers: [{ name: 'c0', cpu: 42, memory: { usage_bytes: 5 } },
				{ name: 'c1', cpu: 43, memory: { usage_bytes: 6 } }] } } });
		return window.__hist.historyColumns('ccpu');
	}, lastT + 15);
	const n = live.data[0].length;
	check(live.data[0][n - 1] === lastT + 15 && live.data[1][n - 1] === 42 && live.data[2][n - 1] === 43,
		`live frame in the container chart: ${live.data[0][n - 1]} ${live.data[1][n - 1]} ${live.data[2][n - 1]}`);
} catch (e) {
	process.stderr.write(`history: ${e && e.message ? e.message : e}\n`);
	rc = 1;
} finally {
	await browser.close();
}
process.exit(rc);
