#include "promcgi.h"

#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "exitcode.h"
#include "hubsnap.h"
#include "log.h"
#include "ndj.h"
#include "prom.h"

int promcgi_serve(const char *sock, int timeout_ms, int head_only, int cgi)
{
	hubsnap s = {0};
	cJSON *stats = NULL;
	char err[HUBSNAP_ERR_LEN];
	int rc = hubsnap_fetch(sock, timeout_ms, NDJ_LINE_MAX, &s, err);
	if (rc != HUBSNAP_OK) {
		log_warn("/metrics: %s", err);
		hubsnap_free(&s);
	} else if (hubsnap_stats(sock, timeout_ms, &stats, err) != HUBSNAP_OK) {
		log_warn("/metrics: hub statistics: %s", err);
	}
	prom_input in = {
	    .hub_up = rc == HUBSNAP_OK,
	    .frame = s.frame,
	    .alerts = s.alerts,
	    .hub_stats = stats,
	    .now_ms = clock_wall_ms(),
	};
	char *body = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&body, &len);
	int ok = mem && prom_write(mem, &in) == 0;
	if (mem)
		fclose(mem); /* sets body and len */
	hubsnap_free(&s);
	cJSON_Delete(stats);
	if (!ok) {
		free(body);
		log_warn("/metrics: out of memory");
		if (cgi)
			printf("Status: 500 Internal Server Error\r\n"
			       "Content-Type: text/plain; charset=utf-8\r\n"
			       "Cache-Control: no-store\r\n\r\n"
			       "kato-snapshot: out of memory\n");
		fflush(stdout);
		return KL_EXIT_TEMP;
	}
	if (cgi)
		printf("Status: 200 OK\r\n"
		       "Content-Type: " PROM_CONTENT_TYPE "\r\n"
		       "Content-Length: %zu\r\n"
		       "Cache-Control: no-store\r\n"
		       "X-Content-Type-Options: nosniff\r\n"
		       "\r\n",
		       len);
	if (!cgi || !head_only)
		fwrite(body, 1, len, stdout);
	free(body);
	if (fflush(stdout) != 0 || ferror(stdout))
		return KL_EXIT_TEMP;
	return !cgi && !in.hub_up ? KL_EXIT_NO : KL_EXIT_OK;
}
