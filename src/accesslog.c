/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "clock.h"
#include "log.h"
#include "xmalloc.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

struct accesslog {
	char			*path;		/* or "syslog" */
	int			 use_syslog;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	char			*buf;		/* pending lines */
	size_t			 len;
	int			 reopen;
	size_t			 reopen_at;	/* lines before it: old file */
	int			 stop;
	int			 started;	/* the writer thread runs */
	int			 fd;		/* the writer's */
	uint64_t		 lines;		/* accepted */
	uint64_t		 dropped;	/* buffer full */
	struct ratelimit	 rl;		/* the writer's warnings */
};

static const char	accesslog_hex[] = "0123456789abcdef";

int
accesslog_format_parse(const char *s, enum accesslog_format *f)
{
	if (strcmp(s, "text") == 0)
		*f = ACCESSLOG_TEXT;
	else if (strcmp(s, "json") == 0)
		*f = ACCESSLOG_JSON;
	else
		return -1;
	return 0;
}

/* Appends, never past len - 1; a line that does not fit is cut. */
struct accesslog_out {
	char	*buf;
	size_t	 len;
	size_t	 off;
};

static void
accesslog_put(struct accesslog_out *o, const char *s, size_t n)
{
	if (o->off + n >= o->len)
		n = o->off + 1 < o->len ? o->len - 1 - o->off : 0;
	memcpy(o->buf + o->off, s, n);
	o->off += n;
	o->buf[o->off] = '\0';
}

static void
accesslog_puts(struct accesslog_out *o, const char *s)
{
	accesslog_put(o, s, strlen(s));
}

static void
accesslog_putu(struct accesslog_out *o, uint64_t v)
{
	char	num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	accesslog_puts(o, num);
}

/*
 * A text value: one word, whatever its bytes. Space, controls, bytes from
 * 0x7f up, '"' and '\' become "\xHH", so a line splits on spaces and each
 * field maps back to its bytes.
 */
static void
accesslog_put_text(struct accesslog_out *o, const char *s)
{
	const unsigned char	*p;
	char			 esc[4] = { '\\', 'x', 0, 0 };

	if (*s == '\0') {
		accesslog_puts(o, "-");
		return;
	}
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\') {
			esc[2] = accesslog_hex[*p >> 4];
			esc[3] = accesslog_hex[*p & 0xf];
			accesslog_put(o, esc, sizeof(esc));
		} else
			accesslog_put(o, (const char *)p, 1);
	}
}

/* A JSON string, quoted: controls and bytes from 0x7f up as \u00XX. */
static void
accesslog_put_json(struct accesslog_out *o, const char *s)
{
	const unsigned char	*p;
	char			 esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	accesslog_puts(o, "\"");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"')
			accesslog_puts(o, "\\\"");
		else if (*p == '\\')
			accesslog_puts(o, "\\\\");
		else if (*p < 0x20 || *p >= 0x7f) {
			esc[4] = accesslog_hex[*p >> 4];
			esc[5] = accesslog_hex[*p & 0xf];
			accesslog_put(o, esc, sizeof(esc));
		} else
			accesslog_put(o, (const char *)p, 1);
	}
	accesslog_puts(o, "\"");
}

/*
 * Formats one line, newline included, into buf (NUL-terminated); returns
 * its length. Text:
 *   2026-01-02T03:04:05.678Z route=dns client=... local=... upstream=...
 *   duration=1.234 rx_datagrams=1 rx_bytes=40 tx_datagrams=1
 *   tx_bytes=80 end=idle
 * JSON: the same names as members, duration as "duration_ms".
 */
size_t
accesslog_format_line(char *buf, size_t len, enum accesslog_format f,
    const struct accesslog_entry *e)
{
	struct accesslog_out	 o = { buf, len, 0 };
	struct tm		 tm;
	time_t			 t = (time_t)(e->time_ms / 1000);
	char			 ts[64], dur[32];
	static const char	*names[] = { "route", "client", "local",
				    "upstream" };
	const char		*vals[4];
	const uint64_t		 nums[4] = { e->rx_datagrams, e->rx_bytes,
				    e->tx_datagrams, e->tx_bytes };
	static const char	*nnames[] = { "rx_datagrams", "rx_bytes",
				    "tx_datagrams", "tx_bytes" };
	size_t			 i;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	vals[0] = e->route;
	vals[1] = e->client;
	vals[2] = e->local;
	vals[3] = e->upstream;
	gmtime_r(&t, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned int)(e->time_ms % 1000));
	snprintf(dur, sizeof(dur), "%" PRIu64 ".%03" PRIu64,
	    e->duration_ms / 1000, e->duration_ms % 1000);
	if (f == ACCESSLOG_TEXT) {
		accesslog_puts(&o, ts);
		for (i = 0; i < nitems(names); i++) {
			accesslog_puts(&o, " ");
			accesslog_puts(&o, names[i]);
			accesslog_puts(&o, "=");
			accesslog_put_text(&o, vals[i] != NULL ? vals[i] : "");
		}
		accesslog_puts(&o, " duration=");
		accesslog_puts(&o, dur);
		for (i = 0; i < nitems(nnames); i++) {
			accesslog_puts(&o, " ");
			accesslog_puts(&o, nnames[i]);
			accesslog_puts(&o, "=");
			accesslog_putu(&o, nums[i]);
		}
		accesslog_puts(&o, " end=");
		accesslog_put_text(&o, e->end != NULL ? e->end : "");
	} else {
		accesslog_puts(&o, "{\"time\":\"");
		accesslog_puts(&o, ts);
		accesslog_puts(&o, "\"");
		for (i = 0; i < nitems(names); i++) {
			accesslog_puts(&o, ",\"");
			accesslog_puts(&o, names[i]);
			accesslog_puts(&o, "\":");
			accesslog_put_json(&o, vals[i] != NULL ? vals[i] : "");
		}
		accesslog_puts(&o, ",\"duration_ms\":");
		accesslog_putu(&o, e->duration_ms);
		for (i = 0; i < nitems(nnames); i++) {
			accesslog_puts(&o, ",\"");
			accesslog_puts(&o, nnames[i]);
			accesslog_puts(&o, "\":");
			accesslog_putu(&o, nums[i]);
		}
		accesslog_puts(&o, ",\"end\":");
		accesslog_put_json(&o, e->end != NULL ? e->end : "");
		accesslog_puts(&o, "}");
	}
	/* The newline always fits: a cut line still ends one. */
	if (o.off + 1 >= len)
		o.off = len - 2 < o.off ? len - 2 : o.off;
	if (len >= 2) {
		buf[o.off++] = '\n';
		buf[o.off] = '\0';
	}
	return o.off;
}

static int
accesslog_openfile(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOCTTY, 0640);
}

/* Writes all of buf, or gives up on an error (logged, rate-limited). */
static void
accesslog_flush(struct accesslog *al, const char *buf, size_t len)
{
	const char		*p = buf, *nl;
	ssize_t			 n;
	unsigned int		 k;

	if (al->use_syslog) {
		while (p < buf + len && (nl = memchr(p, '\n',
		    (size_t)(buf + len - p))) != NULL) {
			syslog(LOG_DAEMON | LOG_INFO, "%.*s", (int)(nl - p), p);
			p = nl + 1;
		}
		return;
	}
	while (len > 0 && al->fd != -1) {
		n = write(al->fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if ((k = ratelimit_allow(&al->rl, clock_ms())) != 0)
				log_warning("access log %s: write: %s (%u "
				    "suppressed)", al->path, strerror(errno),
				    k - 1);
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void *
accesslog_writer(void *arg)
{
	struct accesslog	*al = arg;
	char			*buf = xmalloc(ACCESSLOG_BUFFER), *tmp;
	size_t			 len, at;
	int			 reopen, stop, fd;

	pthread_mutex_lock(&al->mu);
	for (;;) {
		while (al->len == 0 && !al->reopen && !al->stop)
			pthread_cond_wait(&al->cv, &al->mu);
		/* Take the pending lines, leave an empty buffer. */
		tmp = al->buf;
		al->buf = buf;
		buf = tmp;
		len = al->len;
		al->len = 0;
		reopen = al->reopen;
		at = reopen ? al->reopen_at : len;
		al->reopen = 0;
		stop = al->stop;
		pthread_mutex_unlock(&al->mu);

		/* What was written before the reopen goes to the old file. */
		accesslog_flush(al, buf, at);
		if (reopen && !al->use_syslog) {
			if ((fd = accesslog_openfile(al->path)) == -1)
				log_warning("access log %s: cannot reopen: %s "
				    "(still writing to the old file)",
				    al->path, strerror(errno));
			else {
				close(al->fd);
				al->fd = fd;
			}
		}
		accesslog_flush(al, buf + at, len - at);
		pthread_mutex_lock(&al->mu);
		if (stop && al->len == 0)
			break;
	}
	pthread_mutex_unlock(&al->mu);
	free(buf);
	return NULL;
}

/*
 * Opens path for appending (or "syslog"); NULL with the reason in err if
 * the file cannot be opened. Lines wait in the buffer until
 * accesslog_start: the daemon opens its logs before it forks into the
 * background, and a thread does not survive fork().
 */
struct accesslog *
accesslog_open(const char *path, char *err, size_t errlen)
{
	struct accesslog	*al;

	al = xcalloc(1, sizeof(*al));
	al->path = xstrdup(path);
	al->fd = -1;
	if (strcmp(path, "syslog") == 0)
		al->use_syslog = 1;
	else if ((al->fd = accesslog_openfile(path)) == -1) {
		snprintf(err, errlen, "access log %s: %s", path,
		    strerror(errno));
		free(al->path);
		free(al);
		return NULL;
	}
	al->buf = xmalloc(ACCESSLOG_BUFFER);
	pthread_mutex_init(&al->mu, NULL);
	pthread_cond_init(&al->cv, NULL);
	return al;
}

/* Starts the writer thread, once; in the process that will serve. */
void
accesslog_start(struct accesslog *al)
{
	sigset_t	all, old;
	int		rc;

	if (al->started)
		return;
	/* Signals stay with the event loop's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&al->thread, NULL, accesslog_writer, al);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		fatalx("access log %s: cannot start its writer: %s", al->path,
		    strerror(rc));
	al->started = 1;
}

const char *
accesslog_path(const struct accesslog *al)
{
	return al->path;
}

/* Called on the event loop: a format and a copy under a short lock. */
void
accesslog_write(struct accesslog *al, enum accesslog_format f,
    const struct accesslog_entry *e)
{
	char	line[ACCESSLOG_LINE_MAX];
	size_t	n;

	n = accesslog_format_line(line, sizeof(line), f, e);
	pthread_mutex_lock(&al->mu);
	if (al->len + n > ACCESSLOG_BUFFER)
		al->dropped++;
	else {
		memcpy(al->buf + al->len, line, n);
		if (al->len == 0)
			pthread_cond_signal(&al->cv);
		al->len += n;
		al->lines++;
	}
	pthread_mutex_unlock(&al->mu);
}

void
accesslog_reopen(struct accesslog *al)
{
	pthread_mutex_lock(&al->mu);
	if (!al->reopen) {
		al->reopen = 1;
		al->reopen_at = al->len;
	}
	pthread_cond_signal(&al->cv);
	pthread_mutex_unlock(&al->mu);
}

/* Read under the lock: the workers' threads count as they write. */
uint64_t
accesslog_lines(struct accesslog *al)
{
	uint64_t	n;

	pthread_mutex_lock(&al->mu);
	n = al->lines;
	pthread_mutex_unlock(&al->mu);
	return n;
}

uint64_t
accesslog_dropped(struct accesslog *al)
{
	uint64_t	n;

	pthread_mutex_lock(&al->mu);
	n = al->dropped;
	pthread_mutex_unlock(&al->mu);
	return n;
}

/* Writes what is buffered, then stops the writer and frees everything. */
void
accesslog_close(struct accesslog *al)
{
	if (al == NULL)
		return;
	if (al->started) {
		pthread_mutex_lock(&al->mu);
		al->stop = 1;
		pthread_cond_signal(&al->cv);
		pthread_mutex_unlock(&al->mu);
		pthread_join(al->thread, NULL);
	} else
		/* Never started (a failed start): the lines go now. */
		accesslog_flush(al, al->buf, al->len);
	if (al->fd != -1)
		close(al->fd);
	pthread_mutex_destroy(&al->mu);
	pthread_cond_destroy(&al->cv);
	free(al->buf);
	free(al->path);
	free(al);
}
