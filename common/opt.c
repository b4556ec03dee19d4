#include "opt.h"

#include "cfg.h"
#include "clock.h"
#include "log.h"

int64_t opt_seconds(const char *name, const char *value)
{
	int64_t ns;
	if (clock_parse_seconds(value, &ns) < 0)
		log_usage("bad %s '%s': want seconds from 0.001 to 86400", name,
		          value);
	return ns;
}

int64_t opt_seconds_setting(const char *key, int64_t def)
{
	const char *v = cfg_get(key);
	return (v && *v) ? opt_seconds(key, v) : def;
}
