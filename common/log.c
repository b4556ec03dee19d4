#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"

static const char *prog = "kato-live";

void log_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	if (argv0)
		prog = slash ? slash + 1 : argv0;
}

const char *log_prog(void) { return prog; }

/* Format the whole line first so that it reaches stderr in one write. */
static void emit(const char *tag, const char *fmt, va_list ap)
{
	char line[2048];
	int n = snprintf(line, sizeof line, "%s: %s", prog, tag);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
}

void log_die(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("fatal: ", fmt, ap);
	va_end(ap);
	exit(code);
}

void log_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	emit("", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", prog);
	exit(KL_EXIT_USAGE);
}
