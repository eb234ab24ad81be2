/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "health.h"
#include "log.h"
#include "xmalloc.h"

struct health_target {
	struct health			*h;
	TAILQ_ENTRY(health_target)	 entry;
	struct addr			 addr;
	char				 label[ADDR_STRLEN];
	void				*cookie;
	int				 fd;
	struct event			*ev_read;
	int				 waiting;	/* probe out, no verdict */
	struct health_state		 st;
	struct ratelimit		 rl_socket;
};

TAILQ_HEAD(health_targets, health_target);

struct health {
	struct event_base	*base;
	struct health_conf	 conf;
	char			*route;
	health_change_cb	 cb;
	void			*arg;
	struct event		*ev_tick;
	struct event		*ev_timeout;
	struct health_targets	 targets;
};

void
health_conf_defaults(struct health_conf *hc)
{
	memset(hc, 0, sizeof(*hc));
	hc->interval_ms = HEALTH_INTERVAL_MS;
	hc->timeout_ms = HEALTH_TIMEOUT_MS;
	hc->rise = HEALTH_RISE;
	hc->fall = HEALTH_FALL;
}

int
health_conf_same(const struct health_conf *a, const struct health_conf *b)
{
	return a->interval_ms == b->interval_ms &&
	    a->timeout_ms == b->timeout_ms && a->rise == b->rise &&
	    a->fall == b->fall && a->send_len == b->send_len &&
	    a->expect_len == b->expect_len &&
	    memcmp(a->send, b->send, a->send_len) == 0 &&
	    memcmp(a->expect, b->expect, a->expect_len) == 0;
}

static int
health_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes \xNN (exactly two hex digits) and \\ into bytes; every other
 * byte stands for itself. libconfig has already decoded its own escapes
 * by then, but it drops \x00, so a NUL byte is written "\\x00" in the file.
 */
int
health_unescape(const char *in, uint8_t *out, size_t outmax, size_t *outlen,
    char *err, size_t errlen)
{
	size_t	i, n = 0;
	int	hi, lo;

	for (i = 0; in[i] != '\0'; i++) {
		if (n == outmax) {
			snprintf(err, errlen, "longer than %zu bytes", outmax);
			return -1;
		}
		if (in[i] != '\\') {
			out[n++] = (uint8_t)in[i];
			continue;
		}
		if (in[i + 1] == '\\') {
			out[n++] = '\\';
			i++;
			continue;
		}
		if (in[i + 1] != 'x' || (hi = health_hex(in[i + 2])) == -1 ||
		    (lo = health_hex(in[i + 3])) == -1) {
			snprintf(err, errlen, "bad escape at byte %zu: write "
			    "\\\\xNN with two hex digits, or \\\\\\\\", i + 1);
			return -1;
		}
		out[n++] = (uint8_t)(hi << 4 | lo);
		i += 3;
	}
	*outlen = n;
	return 0;
}

void
health_state_init(struct health_state *st)
{
	st->up = 1;
	st->run = 0;
}

/* Returns 1 when this result changes the state. */
int
health_state_update(struct health_state *st, const struct health_conf *hc,
    int ok)
{
	if (st->up == ok) {
		st->run = 0;
		return 0;
	}
	if (++st->run < (st->up ? hc->fall : hc->rise))
		return 0;
	st->up = !st->up;
	st->run = 0;
	return 1;
}

static void
health_result(struct health_target *t, int ok, const char *why)
{
	struct health	*h = t->h;

	t->waiting = 0;
	if (!health_state_update(&t->st, &h->conf, ok)) {
		if (!ok)
			log_debug("route %s: health check of %s: %s", h->route,
			    t->label, why);
		return;
	}
	if (t->st.up)
		log_notice("route %s: upstream %s is up (health check: %u "
		    "successes)", h->route, t->label, h->conf.rise);
	else
		log_notice("route %s: upstream %s is down (health check: %u "
		    "misses, last: %s)", h->route, t->label, h->conf.fall, why);
	h->cb(t, t->st.up, h->arg);
}

static void
health_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health_target	*t = arg;
	struct health		*h = t->h;
	uint8_t			 buf[HEALTH_PAYLOAD_MAX];
	ssize_t			 n;
	int			 i;

	(void)what;
	/* A few datagrams per wakeup: late replies must not pile up. */
	for (i = 0; i < 8; i++) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR)
				return;
			if (t->waiting)
				health_result(t, 0, errno == ECONNREFUSED ?
				    "refused" : strerror(errno));
			continue;
		}
		if (!t->waiting)
			continue;	/* late, or unasked */
		if ((size_t)n >= h->conf.expect_len &&
		    memcmp(buf, h->conf.expect, h->conf.expect_len) == 0)
			health_result(t, 1, NULL);
		else
			health_result(t, 0, "unexpected reply");
		return;
	}
}

static int
health_open(struct health_target *t)
{
	struct health	*h = t->h;

	t->fd = socket(t->addr.ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (t->fd == -1)
		return -1;
	if (connect(t->fd, (struct sockaddr *)&t->addr.ss, t->addr.len) ==
	    -1)
		goto fail;
	t->ev_read = event_new(h->base, t->fd, EV_READ | EV_PERSIST,
	    health_read_cb, t);
	if (t->ev_read == NULL || event_add(t->ev_read, NULL) == -1)
		goto fail;
	return 0;
fail:
	if (t->ev_read != NULL)
		event_free(t->ev_read);
	t->ev_read = NULL;
	close(t->fd);
	t->fd = -1;
	return -1;
}

static void
health_probe(struct health_target *t)
{
	struct health	*h = t->h;
	uint8_t		 junk[HEALTH_PAYLOAD_MAX];
	unsigned int	 n;

	if (t->waiting)
		health_result(t, 0, "timed out");
	if (t->fd == -1 && health_open(t) == -1) {
		if ((n = ratelimit_allow(&t->rl_socket, 0)) > 0)
			log_warning("route %s: health check of %s: cannot "
			    "open a socket: %s", h->route, t->label,
			    strerror(errno));
		health_result(t, 0, "no socket");
		return;
	}
	/* What came after the last verdict is stale. */
	while (recv(t->fd, junk, sizeof(junk), 0) >= 0)
		;
	if (send(t->fd, h->conf.send, h->conf.send_len, 0) == -1) {
		health_result(t, 0, errno == ECONNREFUSED ? "refused" :
		    strerror(errno));
		return;
	}
	t->waiting = 1;
}

static void
health_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health		*h = arg;
	struct health_target	*t, *next;

	(void)fd;
	(void)what;
	/* A change callback may remove its target: walk safely. */
	for (t = TAILQ_FIRST(&h->targets); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		if (t->waiting)
			health_result(t, 0, "timed out");
	}
}

static void
health_ms_tv(uint64_t ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
}

static void
health_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct health		*h = arg;
	struct health_target	*t, *next;
	struct timeval		 tv;

	(void)fd;
	(void)what;
	for (t = TAILQ_FIRST(&h->targets); t != NULL; t = next) {
		next = TAILQ_NEXT(t, entry);
		health_probe(t);
	}
	health_ms_tv(h->conf.timeout_ms, &tv);
	evtimer_add(h->ev_timeout, &tv);
	health_ms_tv(h->conf.interval_ms, &tv);
	evtimer_add(h->ev_tick, &tv);
}

/* The first round goes out at once, then one every interval. */
struct health *
health_new(struct event_base *base, const struct health_conf *hc,
    const char *route, health_change_cb cb, void *arg)
{
	struct health	*h;
	struct timeval	 now = { 0, 0 };

	h = xcalloc(1, sizeof(*h));
	h->base = base;
	h->conf = *hc;
	h->route = xstrdup(route);
	h->cb = cb;
	h->arg = arg;
	TAILQ_INIT(&h->targets);
	h->ev_tick = evtimer_new(base, health_tick_cb, h);
	h->ev_timeout = evtimer_new(base, health_timeout_cb, h);
	if (h->ev_tick == NULL || h->ev_timeout == NULL ||
	    evtimer_add(h->ev_tick, &now) == -1)
		fatalx("route %s: cannot create the health check timers",
		    route);
	return h;
}

/* New settings from a reload: states are kept, the next round uses them. */
void
health_set_conf(struct health *h, const struct health_conf *hc)
{
	struct timeval	tv;

	if (health_conf_same(&h->conf, hc))
		return;
	h->conf = *hc;
	health_ms_tv(hc->interval_ms, &tv);
	evtimer_add(h->ev_tick, &tv);
}

/* A target starts up, as a member does before any check. */
struct health_target *
health_add(struct health *h, const struct addr *a, void *cookie)
{
	struct health_target	*t;

	t = xcalloc(1, sizeof(*t));
	t->h = h;
	t->addr = *a;
	t->cookie = cookie;
	t->fd = -1;
	addr_format((const struct sockaddr *)&a->ss, t->label,
	    sizeof(t->label));
	health_state_init(&t->st);
	TAILQ_INSERT_TAIL(&h->targets, t, entry);
	return t;
}

void
health_remove(struct health_target *t)
{
	if (t == NULL)
		return;
	TAILQ_REMOVE(&t->h->targets, t, entry);
	if (t->ev_read != NULL)
		event_free(t->ev_read);
	if (t->fd != -1)
		close(t->fd);
	free(t);
}

struct health_target *
health_first(struct health *h)
{
	return TAILQ_FIRST(&h->targets);
}

struct health_target *
health_next(struct health_target *t)
{
	return TAILQ_NEXT(t, entry);
}

void *
health_target_cookie(const struct health_target *t)
{
	return t->cookie;
}

const struct addr *
health_target_addr(const struct health_target *t)
{
	return &t->addr;
}

int
health_target_up(const struct health_target *t)
{
	return t->st.up;
}

void
health_free(struct health *h)
{
	struct health_target	*t;

	if (h == NULL)
		return;
	while ((t = TAILQ_FIRST(&h->targets)) != NULL)
		health_remove(t);
	event_free(h->ev_tick);
	event_free(h->ev_timeout);
	free(h->route);
	free(h);
}
