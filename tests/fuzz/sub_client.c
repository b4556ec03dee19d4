/* kato-sub's parser of browser messages (client_msg_parse,
 * cmd/kato-sub/clientmsg.c): whatever a browser sends over its WebSocket,
 * one message a line as websocketd hands it over.  Besides crashes, leaks
 * and UB, each command it makes must be printable ASCII, fit its buffer,
 * and be one the hub's own parser (cmd_parse, cmd/kato-hub/cmd.c)
 * accepts: the two sides of the privilege-separation line agree. */
#include "clientmsg.h"
#include "cmd.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0, len;
	char *line;
	while ((line = fuzz_line(data, size, &pos, &len))) {
		char cmd[CLIENTMSG_CMD_LEN];
		size_t n = len > CLIENTMSG_MAX_LINE ? client_msg_too_large(cmd)
		                                    : client_msg_parse(line, len, cmd);
		fuzz_check(n < CLIENTMSG_CMD_LEN && cmd[n] == '\0');
		for (size_t i = 0; i < n; i++)
			fuzz_check(cmd[i] >= 0x20 && cmd[i] < 0x7f);
		hub_cmd c;
		const char *why = NULL;
		fuzz_check(cmd_parse(cmd, n, &c, &why) == 0);
		fuzz_check(!cmd_is_hello(c.kind));
		free(line);
	}
	return 0;
}
