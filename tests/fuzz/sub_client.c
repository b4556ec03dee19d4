/* kato-sub's browser-message parser as it is today (client_readable,
 * cmd/kato-sub/client.c, with topics_parse and topics_filter in topics.c):
 * whatever a browser sends over its WebSocket, one message a line as
 * websocketd hands it over.  The replies go to /dev/null; a message over
 * the limit must be refused, not cut.  Then each line is also relayed as
 * if the hub had sent it, filtered by the topics the messages left in
 * force.  (kato-sub's diagnostics go to stderr: run with -close_fd_mask=2
 * to keep them out of the way; sanitizer reports still show.) */
#include <fcntl.h>

#include "client.h"
#include "fuzz.h"
#include "topics.h"

static int devnull = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (devnull < 0 &&
	    (devnull = open("/dev/null", O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		abort();

	client c;
	client_init(&c, devnull, T_ALL & ~T_CONTAINERS, (int)(size & 1), 3000);
	ndj_reader r;
	if (ndj_reader_init(&r, fuzz_fd(data, size), CLIENT_MAX_LINE) < 0)
		abort();
	r.chunk = 4096;
	client_connected(&c);
	int reads = 0;
	while (client_readable(&c, &r))
		fuzz_check(++reads < 100000);
	fuzz_check(!c.out.closed);
	fuzz_check((c.want & ~c.avail) == 0);
	ndj_reader_free(&r);

	size_t pos = 0, len;
	char *line;
	while ((line = fuzz_line(data, size, &pos, &len))) {
		client_relay(&c, line, len);
		free(line);
	}
	client_free(&c);
	return 0;
}
