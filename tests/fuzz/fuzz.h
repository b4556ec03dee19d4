/* fuzz.h - what the libFuzzer targets in tests/fuzz/ share.
 *
 * Each target is one file, NAME.c, built into build/fuzz/NAME (see the
 * Makefile) with ASan and UBSan, and fed the seeds in corpus/NAME/.  A
 * target calls the parser exactly as its tool does, and checks what must
 * hold of the result (a frame is valid JSON, a line has no '\n', ...)
 * with fuzz_check(), which aborts: libFuzzer reports that as a crash and
 * keeps the input.
 *
 * Copies are malloc'd to the exact size, so that ASan sees a read one
 * byte past the input.
 */
#ifndef KL_FUZZ_H
#define KL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sanitizer/common_interface_defs.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort with a message when cond is false.  The message goes where the
 * sanitizers report (the targets run with stderr closed, -close_fd_mask=2,
 * to silence the tools' own diagnostics). */
#define FUZZ_STR2(x) #x
#define FUZZ_STR(x) FUZZ_STR2(x)
#define fuzz_check(cond)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			__sanitizer_report_error_summary(                  \
			    "check failed: " __FILE__ ":" FUZZ_STR(__LINE__) \
			    ": " #cond);                                   \
			abort();                                           \
		}                                                          \
	} while (0)

/* A NUL-terminated malloc'd copy of n bytes (NULs inside are kept). */
static inline char *fuzz_str(const void *d, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	if (n)
		memcpy(s, d, n);
	s[n] = '\0';
	return s;
}

/* The next line of data[0..size) from *pos on, without its '\n', as a
 * fuzz_str() copy with its length in *len; NULL when none is left. */
static inline char *fuzz_line(const uint8_t *data, size_t size, size_t *pos,
                              size_t *len)
{
	if (*pos >= size)
		return NULL;
	const uint8_t *p = data + *pos;
	const uint8_t *nl = memchr(p, '\n', size - *pos);
	size_t n = nl ? (size_t)(nl - p) : size - *pos;
	*pos += n + (nl != NULL);
	*len = n;
	return fuzz_str(p, n);
}

/* A file descriptor (a memfd, the same one each call) that reads
 * data[0..size) from its start: for code that reads with read(2). */
static inline int fuzz_fd(const uint8_t *data, size_t size)
{
	static int fd = -1;
	if (fd < 0 && (fd = memfd_create("fuzz", MFD_CLOEXEC)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0 ||
	    (size && pwrite(fd, data, size, 0) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

#endif
