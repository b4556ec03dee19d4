/* kato-hub's command parser (cmd_parse, cmd/kato-hub/cmd.c): what any
 * local process that reaches the hub's socket may write, a line at a
 * time.  Besides crashes, leaks and UB: a refusal always says why, an
 * error text is NUL-terminated within its bound, a mask stays within the
 * topics there are. */
#include <string.h>

#include "cmd.h"
#include "fuzz.h"
#include "topics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0, len;
	char *line;
	while ((line = fuzz_line(data, size, &pos, &len))) {
		hub_cmd c;
		const char *why = NULL;
		if (cmd_parse(line, len, &c, &why) < 0) {
			fuzz_check(why && *why);
		} else {
			fuzz_check(len <= CMD_LINE_MAX);
			if (c.kind == CMD_ERROR)
				fuzz_check(c.code && memchr(c.text, '\0', sizeof c.text));
			if (c.kind == CMD_TOPICS)
				fuzz_check((c.mask & ~T_ALL) == 0);
		}
		free(line);
	}
	return 0;
}
