#!/usr/bin/env node
// Page load to a drawn hour of history, in Chromium: the dashboard
// (web/index.html) served by websocketd with the history API, over a store
// holding the last hour of 50 containers.  Each run is a new browser
// context (nothing cached); the time is from navigation start to the mark
// web/history.js sets when the first paint is drawn ('history-drawn': the
// charts without containers), with where it went: the module scripts,
// uPlot, the history answer; then to the mark it sets when the
// per-container charts are drawn too ('history-containers-drawn', drawn
// after the first paint, one task each; an older web/ without that mark
// draws them all in the first paint), and the longest main-thread task
// until then.
//
//   node tests/bench/first-paint.mjs URL [RUNS]
//
// Prints one line per run and a summary (best, median) on stdout.
import { chromium } from '../browser/node_modules/playwright-core/index.mjs';

const url = process.argv[2];
const RUNS = Number(process.argv[3] || 9);
const browser = await chromium.launch({
	executablePath: process.env.KL_CHROMIUM || '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
		'--disable-component-update', '--no-first-run'],
});
const rows = [];
try {
	for (let i = 0; i < RUNS; i++) {
		const ctx = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
		const page = await ctx.newPage();
		/* the main thread's long tasks (over 50 ms) before the charts are drawn */
		await page.addInitScript(() => {
			window.__long = [];
			try {
				new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push([Math.round(e.startTime), Math.round(e.duration)]); })
					.observe({ type: 'longtask', buffered: true });
			} catch (e) { /* no longtask timing */ }
		});
		await page.goto(url);
		await page.waitForFunction(() => performance.getEntriesByName('history-drawn').length > 0,
			null, { timeout: 30000, polling: 10 });
		/* (an older web/ draws them in the first paint: its status line
		 * says nothing of container charts) */
		if (await page.evaluate(() => /Container charts/.test(document.querySelector('.hist-status').textContent))) {
			await page.waitForFunction(() => performance.getEntriesByName('history-containers-drawn').length > 0,
				null, { timeout: 30000, polling: 10 });
		}
		const r = await page.evaluate(() => {
			const res = performance.getEntriesByType('resource');
			const one = (re) => res.find((e) => re.test(e.name));
			const span = (e) => (e ? [Math.round(e.startTime), Math.round(e.responseEnd)] : null);
			const mods = res.filter((e) => /\.js(\?|$)/.test(e.name) && !/uPlot/.test(e.name));
			const nav = performance.getEntriesByType('navigation')[0];
			const cd = performance.getEntriesByName('history-containers-drawn')[0];
			return {
				drawn: Math.round(performance.getEntriesByName('history-drawn')[0].startTime),
				containers: cd ? Math.round(cd.startTime) : null,
				longest: Math.max(0, ...window.__long.map(([, ms]) => ms)),
				asked: Math.round(performance.getEntriesByName('history-asked')[0].startTime),
				answered: Math.round(performance.getEntriesByName('history-answered')[0].startTime),
				html: nav ? Math.round(nav.responseEnd) : null,
				dcl: nav ? Math.round(nav.domContentLoadedEventEnd) : null,
				modules: [Math.round(Math.min(...mods.map((e) => e.startTime))),
					Math.round(Math.max(...mods.map((e) => e.responseEnd)))],
				nmodules: mods.length,
				historyJs: span(one(/\/history\.js/)),
				histdata: span(one(/\/histdata\.js/)),
				long: window.__long.filter(([t]) => t <= performance.getEntriesByName('history-answered')[0].startTime),
				uplot: span(one(/uPlot\.esm\.js/)),
				answer: span(one(/\/api\/v1\/history\?/)),
				events: span(one(/\/api\/v1\/events\?/)),
			};
		});
		rows.push(r);
		console.log(`run ${i + 1}: drawn ${r.drawn} ms | containers drawn ${r.containers} ms | longest task ${r.longest} ms | html ${r.html} | ${r.nmodules} modules ${r.modules.join('-')} | DOMContentLoaded ${r.dcl} | history.js ${r.historyJs} | histdata.js ${r.histdata} | asked ${r.asked} | uPlot ${r.uplot} | /api/v1/history ${r.answer} | events ${r.events} | answered ${r.answered} | long tasks up to then [start, ms]: ${JSON.stringify(r.long)}`);
		await ctx.close();
	}
} finally {
	await browser.close();
}
const d = rows.map((r) => r.drawn).sort((a, b) => a - b);
console.log(`first-paint drawn: best ${d[0]} ms, median ${d[(d.length - 1) >> 1]} ms, worst ${d[d.length - 1]} ms (${d.length} runs)`);
const cs = rows.map((r) => r.containers).filter((v) => v !== null).sort((a, b) => a - b);
if (cs.length) console.log(`container charts drawn: best ${cs[0]} ms, median ${cs[(cs.length - 1) >> 1]} ms, worst ${cs[cs.length - 1]} ms (${cs.length} runs)`);
const lt = rows.map((r) => r.longest).sort((a, b) => a - b);
console.log(`longest main-thread task until all charts drawn: median ${lt[(lt.length - 1) >> 1]} ms, worst ${lt[lt.length - 1]} ms`);
