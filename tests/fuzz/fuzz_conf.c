/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * libFuzzer harness for the config loader: every input is written to a
 * file and loaded exactly as udproxy -t would, then freed; the control
 * socket path is looked up in it as udproxy -s does. Build and run
 * with "make fuzz" (clang); crashes, leaks and UB abort the run.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	 path[64];
	struct conf	*conf;
	char		 err[CONF_ERRLEN], sock[CONF_CONTROL_MAX];
	FILE		*f;

	if (path[0] == '\0') {
		/* An empty directory: @include finds nothing unexpected. */
		snprintf(path, sizeof(path), "/tmp/udproxy-fuzz.XXXXXX");
		if (mkdtemp(path) == NULL)
			abort();
		strcat(path, "/f.conf");
	}
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	if ((conf = conf_load_file(path, err, sizeof(err))) != NULL)
		conf_free(conf);
	else if (strlen(err) == 0)
		abort();	/* every failure must say why */
	/* udproxy -s: the control path, found even in a broken file. */
	if (conf_peek_control(path, sock, sizeof(sock)) == 0 &&
	    (sock[0] != '/' || strlen(sock) >= sizeof(sock)))
		abort();
	return 0;
}
