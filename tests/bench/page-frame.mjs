#!/usr/bin/env node
// What one realtime_update costs the page in Chromium: script time, style
// recalculations and layouts per frame, with N containers (Chrome's own
// counters, Performance.getMetrics).  The page is served from a folder by
// a static server the script starts on a free loopback port; its WebSocket
// is answered by the script (no pipeline needed).
//
//   node tests/bench/page-frame.mjs [WEBDIR] [CONTAINERS] [FRAMES]
//
// WEBDIR defaults to web/; give an older copy of web/ to compare.
import { chromium } from '../browser/node_modules/playwright-core/index.mjs';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const top = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.resolve(process.argv[2] || path.join(top, 'web'));
const N = Number(process.argv[3] || 300), FRAMES = Number(process.argv[4] || 40);
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };

const server = http.createServer((req, res) => {
	const p = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
	if (!p.startsWith(dir) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) {
		const idx = path.join(p, 'index.html');
		if (p.startsWith(dir) && fs.existsSync(idx)) { res.writeHead(200, { 'content-type': 'text/html' }); res.end(fs.readFileSync(idx)); return; }
		res.writeHead(404, { 'content-type': 'application/json' }); res.end('{"error":"no such path"}'); return;
	}
	res.writeHead(200, { 'content-type': types[path.extname(p)] || 'application/octet-stream' });
	res.end(fs.readFileSync(p));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

function frame(i) {
	const containers = [];
	for (let c = 0; c < N; c++) containers.push({ name: `kato-worker-${c}`, status: 'running', cpu: (c * 7 + i) % 100,
		memory: { usage_bytes: 1048576 * (50 + c), limit_bytes: 1073741824, usage_percent: (50 + c) / 10.24 },
		network: { rx_bytes: 1e6 * c + i, tx_bytes: 5e5 * c, rx_bytes_per_s: 1000 + i, tx_bytes_per_s: 500 },
		block_io: { read_bytes: 4096 * c, write_bytes: 8192 * c, read_bytes_per_s: 0, write_bytes_per_s: 4096 } });
	return JSON.stringify({ type: 'realtime_update', timestamp: new Date().toISOString(), interval_ms: 3000,
		data: { metrics: { rates: { requests_per_second: 10 + i }, performance: { error_rate: 0.01 }, resources: { cpu_percent: 30 } },
			health: { status: 'healthy' }, containers: { containers, aggregated: { container_count: N } },
			sessions: { active_count: 3 } }, stale: [], sources: {} });
}

const b = await chromium.launch({ executablePath: '/usr/bin/chromium',
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'] });
const page = await b.newPage({ viewport: { width: 1280, height: 800 } });
let sock;
await page.routeWebSocket(/\/ws$/, (ws) => {
	sock = ws;
	ws.send(JSON.stringify({ type: 'connected', interval_ms: 3000, topics: ['metrics', 'containers', 'sessions', 'session_events', 'system_alerts'] }));
});
await page.goto(url);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
const rows = () => page.evaluate(() => document.querySelectorAll('#containers-body tr').length);
sock.send(frame(0));
while (await rows() < N) await page.waitForTimeout(50);
await page.waitForTimeout(500);
const a = await metrics();
for (let i = 1; i <= FRAMES; i++) {
	sock.send(frame(i));
	// one frame at a time: wait until it is drawn (two animation frames)
	await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}
const z = await metrics();
const per = (k, scale = 1) => ((z[k] - a[k]) * scale / FRAMES);
console.log(`${path.relative(top, dir) || '.'}: ${N} containers, ${FRAMES} frames: per frame ` +
	`script ${per('ScriptDuration', 1000).toFixed(2)} ms, style ${per('RecalcStyleDuration', 1000).toFixed(2)} ms ` +
	`(${per('RecalcStyleCount').toFixed(1)} recalcs), layout ${per('LayoutDuration', 1000).toFixed(2)} ms ` +
	`(${per('LayoutCount').toFixed(1)} layouts), task ${per('TaskDuration', 1000).toFixed(2)} ms`);
await b.close();
server.close();
