/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "conffile.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"
#include "paths.h"
#include "priv.h"
#include "resolve.h"
#include "transparent.h"
#include "udproxy.h"
#include "xmalloc.h"
#include "upgrade.h"

#define UDPROXY_CONTROL		UDPROXY_RUNSTATEDIR "/udproxy.sock"
/* The version this binary reports; a test build sets another. */
#ifndef UDPROXY_VERSION
#define UDPROXY_VERSION		PACKAGE_VERSION
#endif

/* Set in a process started by a binary upgrade (upgrade.c). */
static struct upgrade_child	*main_upgrade;
#define MAIN_COMMAND_TIMEOUT	60	/* seconds, for udproxy -s */
/* The daemon answers an upgrade within upgrade_timeout: wait longer. */
#define MAIN_UPGRADE_WAIT	(CONF_UPGRADE_TIMEOUT_MAX_S + 30)

static const struct option main_longopts[] = {
	{ "help",	no_argument,	NULL,	'h' },
	{ "version",	no_argument,	NULL,	'V' },
	{ NULL,		0,		NULL,	0 }
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: udproxy [-fhtV] [-c file] [-p pidfile]\n"
	    "       udproxy -s reload|reopen|upgrade|stop|status|stats [-c file]\n"
	    "  -c file     configuration file (default %s)\n"
	    "  -f          stay in the foreground, log to stderr\n"
	    "  -h, --help  show this help\n"
	    "  -p pidfile  write and lock this pidfile\n"
	    "  -s command  send command to the running daemon's control "
	    "socket\n"
	    "  -t          check the configuration and exit\n"
	    "  -V, --version\n"
	    "              show the version\n", UDPROXY_CONF);
}

/* path made absolute against the working directory, without realpath(). */
static int
main_abspath(const char *path, char *buf, size_t len)
{
	char	cwd[PATH_MAX];
	int	n;

	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (path[0] == '/')
		n = snprintf(buf, len, "%s", path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	else
		n = snprintf(buf, len, "%s%s%s", cwd,
		    strcmp(cwd, "/") == 0 ? "" : "/", path);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* A command word for the control socket: 1 to 32 of a-z and '-'. */
static int
main_command_valid(const char *cmd)
{
	size_t	n = strlen(cmd);

	return n >= 1 && n <= 32 && strspn(cmd, "abcdefghijklmnopqrstuvwxyz-")
	    == n;
}

/*
 * udproxy -s: the socket is the one the file names (even a file that
 * would not load), or the default one.
 */
static int
main_command(const char *path, const char *command)
{
	char	abspath[PATH_MAX], sock[CONF_CONTROL_MAX];

	if (main_abspath(path, abspath, sizeof(abspath)) == -1 ||
	    conf_peek_control(abspath, sock, sizeof(sock)) == -1)
		snprintf(sock, sizeof(sock), "%s", UDPROXY_CONTROL);
	return control_client(sock, command, strcmp(command, "upgrade") == 0 ?
	    MAIN_UPGRADE_WAIT : MAIN_COMMAND_TIMEOUT);
}

/*
 * The binary's own path, resolved at start: an upgrade runs whatever is
 * installed at that path then (/proc/self/exe would name the old,
 * deleted file by then).
 */
static char *
main_exe(void)
{
	char	buf[PATH_MAX];
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", buf, sizeof(buf) - 1)) <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

static void
main_fail(int notify, struct pidfile *pf, const char *msg)
{
	/* The old process says why, and keeps serving. */
	upgrade_child_fail(main_upgrade, msg);
	pidfile_remove(pf);
	if (notify != -1)
		daemon_notify(notify, msg);
	else
		log_stderr("error: %s", msg);
	exit(1);
}

/* Transparent-mode warnings: on stderr for -t, in the log at start-up. */
static void
main_warn_stderr(const char *msg, void *arg)
{
	(void)arg;
	log_stderr("warning: %s", msg);
}

static void
main_warn_log(const char *msg, void *arg)
{
	(void)arg;
	log_warning("%s", msg);
}

int
main(int argc, char *argv[])
{
	struct udproxy	*up;
	struct conf	*conf;
	struct pidfile	*pf = NULL;
	const char	*path = UDPROXY_CONF, *pidpath = NULL;
	char		 abspath[PATH_MAX], err[CONF_ERRLEN];
	const char	*command = NULL;
	int		 ch, foreground = 0, test = 0, notify = -1, rc;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "c:fhp:s:tV", main_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'p':
			pidpath = optarg;
			break;
		case 's':
			command = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("udproxy %s\n", UDPROXY_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (command != NULL && (test || foreground ||
	    pidpath != NULL || !main_command_valid(command)))) {
		usage(stderr);
		return 2;
	}
	if (command != NULL)
		return main_command(path, command);
	if (!test)
		main_upgrade = upgrade_child_open();
	/*
	 * A daemon's signals wait until their events exist (a SIGHUP right
	 * after start must not kill it); -t keeps the default actions, so
	 * SIGTERM and SIGINT end a check of a slow file at once.
	 */
	if (!test)
		udproxy_mask_signals(SIG_BLOCK);
	/*
	 * Reloads happen after chdir("/"): remember where the file is, as
	 * an absolute path but not dereferenced, so that a reload after a
	 * deploy swapped a symbolic link reads the link's new target.
	 */
	if (main_abspath(path, abspath, sizeof(abspath)) == -1) {
		log_stderr("error: %s: %s", path, strerror(errno));
		return 1;
	}
	/* Files owned by the user udproxy starts as are its own. */
	conffile_set_owner(geteuid());
	if ((conf = conf_load_file(abspath, err, sizeof(err))) == NULL)
		main_fail(-1, NULL, err);
	if (test && priv_check(conf->user, conf->group, err,
	    sizeof(err)) == -1) {
		conf_free(conf);
		log_stderr("error: %s: %s", abspath, err);
		return 1;
	}
	if (test) {
		struct event_base	*base;

		size_t			 names = resolve_conf_names(conf);

		/* Names resolve as at start: a bounded wait, then the verdict. */
		if (names > 0) {
			if ((base = event_base_new()) == NULL)
				main_fail(-1, NULL, "cannot create an event base");
			conf = resolve_conf_wait(base, conf, err, sizeof(err));
			event_base_loop(base, EVLOOP_NONBLOCK);
			event_base_free(base);
			if (conf == NULL)
				main_fail(-1, NULL, err);
		}
		transparent_check(conf, main_warn_stderr, NULL);
		log_stderr("%s: configuration is valid, %zu routes, %zu names "
		    "resolved", abspath, conf->nroutes, names);
		conf_free(conf);
		return 0;
	}
	/*
	 * A daemon logs to syslog from the start, so the launcher's terminal
	 * sees only the error that makes a start fail.
	 */
	log_init(foreground, conf->log_level);
	priv_raise_nofile();
	/* After an upgrade the pidfile comes, locked, from the old process. */
	if (pidpath == NULL)
		pidpath = conf->pidfile;
	if (main_upgrade == NULL && pidpath != NULL &&
	    (pf = pidfile_open(pidpath, err, sizeof(err))) == NULL)
		main_fail(-1, NULL, err);

	up = udproxy_new();
	up->version = UDPROXY_VERSION;
	up->argv = argv;
	up->exe = main_exe();
	/* The first answers, waited for (bounded by resolver_timeout). */
	if ((conf = resolve_conf_wait(up->base, conf, err, sizeof(err))) ==
	    NULL)
		main_fail(-1, pf, err);
	up->control_default = UDPROXY_CONTROL;
	if (main_upgrade != NULL) {
		if (upgrade_child_receive(main_upgrade, up->version, err,
		    sizeof(err)) == -1)
			main_fail(-1, NULL, err);
		up->inherit = main_upgrade;
	}
	if (udproxy_apply(up, conf, err, sizeof(err)) == -1)
		main_fail(-1, pf, err);
	up->inherit = NULL;
	transparent_check(up->conf, main_warn_log, NULL);
	if (main_upgrade != NULL) {
		char	*cpath;
		int	 cfd = upgrade_take_control(main_upgrade, &cpath);

		if (cfd != -1)
			up->control = control_adopt(up, cfd, cpath);
		free(cpath);
	}
	/* Made before the privilege drop: /run is root's. */
	if (up->control == NULL && up->conf->control != NULL &&
	    (up->control = control_open(up, up->conf->control, err,
	    sizeof(err))) == NULL)
		main_fail(-1, pf, err);
	udproxy_control_sync(up);
	/* A process an upgrade started runs as the old one did. */
	if (up->conf->user != NULL && (main_upgrade == NULL ||
	    geteuid() == 0)) {
		if (priv_drop(up->conf->user, up->conf->group,
		    transparent_families(up->conf) != 0, err,
		    sizeof(err)) == -1)
			main_fail(-1, pf, err);
		up->privileges_dropped = 1;
	}
	if (main_upgrade != NULL) {
		upgrade_child_adopt(main_upgrade, up, err, sizeof(err));
		log_notice("udproxy %s taking over: %zu routes, %s",
		    up->version, up->nroutes, err);
		if (upgrade_child_commit(main_upgrade, &pf, err,
		    sizeof(err)) == -1) {
			/* Rolled back: the sockets are the old one's again. */
			log_error("%s", err);
			exit(1);
		}
		upgrade_child_free(main_upgrade);
		main_upgrade = NULL;
		udproxy_start(up);
		up->pidfile = pf;
		if (pf != NULL && pidfile_write(pf, err, sizeof(err)) == -1)
			log_error("%s", err);
		log_notice("udproxy %s started (upgrade), %zu routes",
		    up->version, up->nroutes);
	} else {
		if (!foreground) {
			if ((notify = daemon_detach(pf)) == -1)
				main_fail(-1, pf, "cannot become a daemon");
			if (udproxy_reinit(up) == -1)
				main_fail(notify, pf, "cannot reinitialise "
				    "libevent");
		}
		udproxy_start(up);
		up->pidfile = pf;
		if (pf != NULL && pidfile_write(pf, err, sizeof(err)) == -1)
			main_fail(notify, pf, err);
		log_notice("udproxy %s started, %zu routes", up->version,
		    up->nroutes);
		if (notify != -1)
			daemon_notify(notify, NULL);
		notify_ready(getpid(), "serving %zu routes", up->nroutes);
	}

	rc = udproxy_run(up);
	/* Freeing the signal events restores the default (fatal) actions. */
	udproxy_mask_signals(SIG_BLOCK);
	if (up->upgraded) {
		/* The new process has the pidfile and the control socket. */
		udproxy_free(up);
		pidfile_release(pf);
		return 0;
	}
	notify_stopping();
	log_notice("shutting down");
	udproxy_free(up);
	pidfile_remove(pf);
	return rc == 0 ? 0 : 1;
}
