#!/usr/bin/env node
// Browser test of the history charts (web/history.js) in Debian's chromium,
// headless, driven by playwright-core (never a downloaded browser).
//
//   node tests/browser/history.mjs
//
// KL_URL names a harness page (tests/history-web.bats writes it) that
// loads web/history.js as the dashboard does, served by websocketd with
// the history API as CGI over a store holding the last hour: frame i
// (3 s apart) has host CPU i % 100, and frames 600..659 are missing.
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
} catch (e) {
	process.stderr.write(`history: ${e && e.message ? e.message : e}\n`);
	rc = 1;
} finally {
	await browser.close();
}
process.exit(rc);
