/* The NDJSON line reader (common/ndj.c) every stage reads its input with.
 * Input: two bytes of settings (the line limit, 1..64 bytes, and the most
 * read(2) takes at once, 0 = no limit), then the stream.  The reader reads
 * it from a memfd; what it hands out is checked against the same stream
 * split by hand: every line, in order, each over the limit reported as
 * NDJ_TOOLONG instead, with the right line numbers. */
#include "fuzz.h"
#include "ndj.h"

/* What ndj_next must give for the line s[0..n), terminated by '\n' or
 * not (the last one): NDJ_LINE with *want_len, or NDJ_TOOLONG. */
static enum ndj_status expect(const uint8_t *s, size_t n, int terminated,
                              size_t max, size_t *want_len)
{
	if (n > max)
		return NDJ_TOOLONG;
	*want_len = n;
	if (terminated && n > 0 && s[n - 1] == '\r')
		(*want_len)--;
	return NDJ_LINE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t max = 1 + data[0] % 64, chunk = data[1] % 16;
	data += 2;
	size -= 2;
	ndj_reader r;
	if (ndj_reader_init(&r, fuzz_fd(data, size), max) < 0)
		abort();
	r.chunk = chunk;
	size_t pos = 0;
	unsigned long lines = 0;
	for (;;) {
		char *line = NULL;
		size_t len = 0;
		int st = ndj_getline(&r, &line, &len);
		fuzz_check(st >= 0);
		if (st == NDJ_EOF) {
			fuzz_check(pos == size);
			break;
		}
		/* The next line of the stream, split by hand. */
		fuzz_check(pos < size);
		const uint8_t *p = data + pos;
		const uint8_t *nl = memchr(p, '\n', size - pos);
		size_t n = nl ? (size_t)(nl - p) : size - pos, want_len = 0;
		enum ndj_status want = expect(p, n, nl != NULL, max, &want_len);
		pos += n + (nl != NULL);
		fuzz_check(st == (int)want);
		fuzz_check(r.lineno == ++lines);
		if (st == NDJ_LINE) {
			fuzz_check(len == want_len && len <= max);
			fuzz_check(line[len] == '\0');
			fuzz_check(len == 0 || !memcmp(line, p, len));
		}
	}
	ndj_reader_free(&r);
	return 0;
}
