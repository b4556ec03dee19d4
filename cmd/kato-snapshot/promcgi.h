/* promcgi.h - kato-snapshot's GET /metrics: ask the hub, answer in
 * Prometheus' text format (prom.h).
 *
 * The answer is 200 whenever kato-snapshot itself works, also with no
 * hub or no frame yet: the exposition then says so (kato_live_hub_up 0,
 * no kato_live_frame_* series), which a Prometheus alert can match,
 * where an error page would only make the target look down.
 */
#ifndef KS_PROMCGI_H
#define KS_PROMCGI_H

/* Fetch the hub's retained messages and its statistics from the socket
 * at sock (each within timeout_ms), and write the response to stdout: CGI
 * headers and, unless head_only, the exposition when cgi is nonzero; the
 * exposition alone otherwise (shell use).  Diagnostics go to stderr.
 * Returns the exit code: KL_EXIT_OK, KL_EXIT_NO (shell use, no hub), or
 * KL_EXIT_TEMP (out of memory, stdout failed). */
int promcgi_serve(const char *sock, int timeout_ms, int head_only, int cgi);

#endif
