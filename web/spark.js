/*
 * spark.js - sparklines: a time series of the last few minutes drawn as an
 * SVG line.  A null breaks the line (unmeasured), it is never drawn as 0.
 *
 * Drawing reads no layout: the SVG has a fixed viewBox stretched to its box
 * (preserveAspectRatio none) with strokes that do not scale, so a frame with
 * many container rows costs no forced reflow.
 */

import { isNum } from './format.js';

export const SPARK_MS = 10 * 60 * 1000;   /* the last 10 minutes */

/* Points [t, value|null] for the last spanMs; pure. */
export class Series {
	constructor(spanMs = SPARK_MS) { this.pts = []; this.span = spanMs; }
	push(t, v) {
		this.pts.push([t, isNum(v) ? v : null]);
		const cut = t - this.span;
		let i = 0;
		while (i < this.pts.length && this.pts[i][0] < cut) i++;
		if (i) this.pts.splice(0, i);
	}
	last() { return this.pts.length ? this.pts[this.pts.length - 1][1] : null; }
	max() {
		let m = null;
		for (const p of this.pts) if (p[1] !== null && (m === null || p[1] > m)) m = p[1];
		return m;
	}
}

/* The top of a sparkline's scale: its peak with headroom, never below floor. */
export function scaleTop(peak, floor) {
	return peak === null ? floor : Math.max(peak * 1.15, floor);
}

const W = 200, H = 30, PAD = 3;

/* The path of one series in the W x H box ending at now; pure. */
export function sparkPath(series, max, now, spanMs = SPARK_MS) {
	const top = max > 0 ? max : 1, t0 = now - spanMs;
	let d = '', pen = false, last = null;
	for (const [t, v] of series.pts) {
		if (v === null) { pen = false; continue; }
		const x = Math.min(W - PAD, Math.max(0, (t - t0) / spanMs * (W - PAD)));
		const y = H - PAD - Math.min(1, Math.max(0, v / top)) * (H - 2 * PAD);
		d += (pen ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1);
		pen = true;
		last = [x, y];
	}
	return { d, last };
}

const SVGNS = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs) {
	const e = document.createElementNS(SVGNS, tag);
	for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
	return e;
}

/* Draw lines = [{series, max, cls}] into holder (a span). */
export function drawSpark(holder, lines, label, now) {
	let svg = holder.firstElementChild;
	if (!svg) {
		svg = svgEl('svg', { role: 'img', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none' });
		svg.appendChild(svgEl('rect', { class: 'spark-bg', width: W, height: H, 'vector-effect': 'non-scaling-stroke' }));
		holder.appendChild(svg);
	}
	if (svg.getAttribute('aria-label') !== label) svg.setAttribute('aria-label', label);
	if (holder.title !== label) holder.title = label;
	/* two paths per line (the line, its newest point), kept and rewritten:
	 * no elements made or dropped per frame */
	let i = 1;
	for (const ln of lines) {
		const { d, last } = sparkPath(ln.series, ln.max, now);
		if (!d) continue;
		const dot = `M${last[0].toFixed(1)} ${last[1].toFixed(1)}h0`;
		for (const [attr, cls] of [[d, 'spark-line ' + ln.cls], [dot, 'spark-dot ' + ln.cls]]) {
			let p = svg.childNodes[i++];
			if (!p) p = svg.appendChild(svgEl('path', { 'vector-effect': 'non-scaling-stroke' }));
			if (p.getAttribute('class') !== cls) p.setAttribute('class', cls);
			p.setAttribute('d', attr);
		}
	}
	while (svg.childNodes.length > i) svg.removeChild(svg.lastChild);
}
