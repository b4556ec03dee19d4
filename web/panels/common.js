/*
 * panels/common.js - what the panels share about sections and sources.
 */

import { isNum, fmtAgo } from '../format.js';

/* A section in error: {"error":"..."} (KATO's own bodies carry "error": null). */
export function sectionError(s) {
	if (s === undefined) return null;
	if (s === null || typeof s !== 'object') return 'malformed section';
	if (typeof s.error === 'string' && s.error !== '') return s.error;
	if (s.error && typeof s.error === 'object') return s.error.message || JSON.stringify(s.error);
	return null;
}

/* The pipeline has only just started: a wait, not a failure. */
export function waiting(err) { return typeof err === 'string' && /(^|: )no data yet/i.test(err); }

/* A stale section's notice: {text (stable), quiet (its age)}. */
export function staleText(panel, info) {
	const src = info.name || panel;
	let text = `Stale: no fresh data from ${src}`;
	const s = info.source;
	if (s && typeof s.error === 'string' && s.error) text += ': ' + s.error;
	return { text, quiet: s && isNum(s.age_ms) ? `(last sample ${fmtAgo(s.age_ms)})` : null };
}

/* A section's notice for its panel: {text, quiet, level}.  what names the
 * section ("Container stats"); err is its error (or null); freshAt when its
 * data last came fresh (client ms, or null). */
export function sectionNotice(what, err, info, freshAt, now) {
	if (err) return { text: what + ' unavailable: ' + err, level: waiting(err) ? 'info' : 'bad',
		quiet: freshAt ? '— showing values received ' + fmtAgo(now - freshAt) : null };
	if (info.stale) return Object.assign({ level: 'warn' }, staleText(info.name, info));
	return { text: null, quiet: null, level: 'warn' };
}
