// SPDX-License-Identifier: BSD-3-Clause
/*
 * shoal-real: prepares a real (backend) for shoal's direct server return.
 *
 *   shoal-real setup --iface IF --vip ADDR [--vip ...] --tunnel-addr ADDR [--tunnel-addr ...]
 *                    [--gue-port N] [--xdp-mode native|generic]
 *   shoal-real teardown --iface IF [--vip ADDR ...]
 *   shoal-real status --iface IF
 *
 * setup attaches the decap program (bpf/decap.bpf.c) to IF through a bpf_link
 * pinned under /sys/fs/bpf/shoal-real/IF/ with its maps (.../netns-N/IF/ in a
 * network namespace other than the host's), so that it outlives this process;
 * puts the VIPs on lo; sets the ARP and rp_filter sysctls DSR needs. What it
 * changed is written to /run/shoal-real/ (bpffs holds no regular files) and
 * teardown puts it back. See docs/real.md. This file: the command line and the
 * host side; real_bpf.c: the BPF side.
 * Exit codes: 0 ok, 1 failure (status: not set up), 2 usage.
 */
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include "real.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

enum sh_real_opt_bits {
	SH_OPT_VIP = 1 << 0,
	SH_OPT_TUNNEL = 1 << 1,
	SH_OPT_GUE = 1 << 2,
	SH_OPT_MODE = 1 << 3,
	SH_OPT_IFACE = 1 << 4,
};

static int sh_real_verbose;

/* The sysctls DSR needs. dev NULL is the --iface. all/lo are host-wide. */
static const struct {
	const char *dev;
	const char *name;
	int value;
} sh_real_sysctls[] = {
	{ "all", "arp_ignore", 1 },   { "lo", "arp_ignore", 1 },   { NULL, "arp_ignore", 1 },
	{ "all", "arp_announce", 2 }, { "lo", "arp_announce", 2 }, { NULL, "arp_announce", 2 },
	{ "all", "rp_filter", 0 },    { NULL, "rp_filter", 0 },
};
#define SH_REAL_N_SYSCTLS (int)(sizeof(sh_real_sysctls) / sizeof(sh_real_sysctls[0]))

void sh_real_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "shoal-real: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* libbpf's messages, one level down: warnings with -v, the rest with -vv. */
static int sh_real_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (sh_real_verbose < (level == LIBBPF_WARN ? 1 : 2))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* Our network namespace's cookie (Linux 5.14+), or 0. */
static unsigned long long sh_real_netns_cookie(void)
{
	unsigned long long cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
			cookie = 0;
		close(fd);
	}
	return cookie;
}

/* "" in the host's network namespace, else "/netns-<cookie>". */
static void sh_real_scope(char *scope, size_t size)
{
	unsigned long netns = sh_real_foreign_ns("net");
	unsigned long long cookie = netns ? sh_real_netns_cookie() : 0;

	scope[0] = '\0';
	if (cookie)
		snprintf(scope, size, "/netns-%llu", cookie);
	else if (netns)
		snprintf(scope, size, "/netns-ino%lu", netns);
}

/* The paths of iface's pins and state in scope (sh_real_scope()); -ENAMETOOLONG if cut. */
static int sh_real_paths_in(struct sh_real_paths *p, const char *scope, const char *iface)
{
	bool cut = false;

	cut |= snprintf(p->pin_root, sizeof(p->pin_root), SH_REAL_PIN_ROOT "%s", scope) >=
	       (int)sizeof(p->pin_root);
	cut |= snprintf(p->pin_dir, sizeof(p->pin_dir), "%s/%s", p->pin_root, iface) >=
	       (int)sizeof(p->pin_dir);
	cut |= snprintf(p->link, sizeof(p->link), "%s/link", p->pin_dir) >= (int)sizeof(p->link);
	cut |= snprintf(p->state_dir, sizeof(p->state_dir), SH_REAL_STATE_DIR "%s", scope) >=
	       (int)sizeof(p->state_dir);
	cut |= snprintf(p->if_state, sizeof(p->if_state), "%s/if-%s.state", p->state_dir,
			iface) >= (int)sizeof(p->if_state);
	cut |= snprintf(p->host_state, sizeof(p->host_state), "%s/host.state", p->state_dir) >=
	       (int)sizeof(p->host_state);
	return cut ? -ENAMETOOLONG : 0;
}

/* Interface names are checked (IF_NAMESIZE) and scopes are short: the paths fit. */
static void sh_real_paths_init(struct sh_real_paths *p, const char *iface)
{
	char scope[40];

	sh_real_scope(scope, sizeof(scope));
	sh_real_paths_in(p, scope, iface);
}

/* Serializes shoal-real runs: the host-wide sysctls and VIPs are shared by all interfaces. */
static int sh_real_lock(void)
{
	int fd;

	fd = sh_real_mkdirs(SH_REAL_STATE_DIR);
	if (fd) {
		sh_real_err("%s: cannot create: %s", SH_REAL_STATE_DIR, strerror(-fd));
		return fd;
	}
	fd = open(SH_REAL_STATE_DIR "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX)) {
		int err = -errno;

		sh_real_err("%s/lock: %s", SH_REAL_STATE_DIR, strerror(-err));
		return err;
	}
	return fd; /* held until exit */
}

static void sh_real_sysctl_key(char *key, size_t size, const char *iface, int i)
{
	snprintf(key, size, "net/ipv4/conf/%s/%s", sh_real_sysctls[i].dev ?: iface,
		 sh_real_sysctls[i].name);
}

/* Records the current values of the sysctls setup changes, unless recorded already. */
static int sh_real_sysctls_save(const char *iface, struct sh_real_state *host,
				struct sh_real_state *ifs)
{
	bool host_done = host->n_sysctls > 0, if_done = ifs->n_sysctls > 0;
	int i, err;

	for (i = 0; i < SH_REAL_N_SYSCTLS; i++) {
		struct sh_real_state *st = sh_real_sysctls[i].dev ? host : ifs;
		struct sh_real_sysctl *s = &st->sysctls[st->n_sysctls];

		if (sh_real_sysctls[i].dev ? host_done : if_done)
			continue;
		sh_real_sysctl_key(s->key, sizeof(s->key), iface, i);
		err = sh_real_sysctl_read(s->key, &s->value);
		if (err) {
			sh_real_err("sysctl %s: cannot read: %s", s->key, strerror(-err));
			return err;
		}
		st->n_sysctls++;
	}
	return 0;
}

static int sh_real_sysctls_apply(const char *iface)
{
	char key[96];
	int i, err;

	for (i = 0; i < SH_REAL_N_SYSCTLS; i++) {
		sh_real_sysctl_key(key, sizeof(key), iface, i);
		err = sh_real_sysctl_write(key, sh_real_sysctls[i].value);
		if (err) {
			sh_real_err("sysctl %s=%d: %s", key, sh_real_sysctls[i].value,
				    strerror(-err));
			return err;
		}
	}
	return 0;
}

static int sh_real_sysctls_restore(const struct sh_real_state *st)
{
	int i, err, ret = 0;

	for (i = 0; i < st->n_sysctls; i++) {
		err = sh_real_sysctl_write(st->sysctls[i].key, st->sysctls[i].value);
		if (err == -ENOENT)
			continue; /* the interface is gone, and its sysctls with it */
		if (err) {
			sh_real_err("sysctl %s=%d: cannot restore: %s", st->sysctls[i].key,
				    st->sysctls[i].value, strerror(-err));
			ret = err;
		}
	}
	return ret;
}

static int sh_real_states_save(const struct sh_real_paths *p, const struct sh_real_state *host,
			       const struct sh_real_state *ifs)
{
	int err = sh_real_state_save(p->host_state, host);

	if (!err)
		err = sh_real_state_save(p->if_state, ifs);
	if (err)
		sh_real_err("%s: cannot save the state: %s", p->state_dir, strerror(-err));
	return err;
}

static int sh_real_teardown_paths(const char *iface, const struct sh_real_addr *named, int n_named,
				  const struct sh_real_paths *p);

static int sh_real_setup(const struct sh_real_opts *o)
{
	struct sh_real_state *host = calloc(1, sizeof(*host)), *ifs = calloc(1, sizeof(*ifs));
	struct sh_real_paths p;
	int ifindex, i, err;
	bool fresh;

	sh_real_paths_init(&p, o->iface);
	err = -ENOMEM;
	if (!host || !ifs)
		goto out;
	err = -ENODEV;
	ifindex = if_nametoindex(o->iface);
	if (!ifindex) {
		sh_real_err("--iface %s: no such interface", o->iface);
		goto out;
	}
	err = sh_real_lo_is_up();
	if (err <= 0) {
		sh_real_err("lo is down: the VIPs live on lo; bring it up (ip link set lo up)");
		err = -ENETDOWN;
		goto out;
	}
	err = sh_real_bpffs(true);
	if (err)
		goto out;
	err = sh_real_mkdirs(p.state_dir);
	if (err)
		sh_real_err("%s: cannot create: %s", p.state_dir, strerror(-err));
	if (!err)
		err = sh_real_state_load(p.host_state, host);
	if (!err)
		err = sh_real_state_load(p.if_state, ifs);
	if (err) {
		sh_real_err("%s: unreadable state: %s", p.state_dir, strerror(-err));
		goto out;
	}
	fresh = access(p.link, F_OK) && !ifs->n_sysctls;

	/* Remember the values to restore before changing anything. */
	err = sh_real_sysctls_save(o->iface, host, ifs);
	if (!err)
		err = sh_real_states_save(&p, host, ifs);
	if (!err)
		err = sh_real_bpf_attach(o, ifindex, &p);
	if (!err)
		err = sh_real_sysctls_apply(o->iface);
	/* host.state lists the VIPs shoal-real added to lo, if-IF.state those IF uses. */
	for (i = 0; !err && i < o->n_vips; i++) {
		int added = sh_real_lo_addr_add(&o->vips[i]);

		if (added < 0) {
			sh_real_err("--vip %s: cannot add to lo: %s", o->vips[i].text,
				    strerror(-added));
			err = added;
			break;
		}
		if (added == 0)
			err = sh_real_state_add_vip(host, &o->vips[i]);
		if (!err)
			err = sh_real_state_add_vip(ifs, &o->vips[i]);
		if (!err)
			err = sh_real_states_save(&p, host, ifs);
	}
	if (err && fresh) {
		fprintf(stderr, "shoal-real: undoing the partial setup of %s\n", o->iface);
		sh_real_teardown_paths(o->iface, NULL, 0, &p); /* only what the state records */
	}
	if (!err)
		printf("%s: decap attached (%s XDP), %d tunnel address(es), %d VIP(s) on lo, "
		       "GUE port %d%s\n", o->iface, o->generic ? "generic" : "native", o->n_tuns,
		       o->n_vips, o->gue_port, o->gue_port ? "" : " (off)");
out:
	free(host);
	free(ifs);
	return err;
}

/*
 * Finds another interface set up on this host, one whose setup uses vip if vip
 * is not NULL; writes its name to iface. false if there is none.
 */
static bool sh_real_other_setup(const struct sh_real_paths *p, const struct sh_real_addr *vip,
				char *iface, size_t size)
{
	struct sh_real_state *st = malloc(sizeof(*st));
	bool found = false;
	struct dirent *de;
	char path[300];
	DIR *d;

	d = opendir(p->state_dir);
	while (d && st && !found && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, "if-", 3) || len < 10 ||
		    strcmp(de->d_name + len - 6, ".state"))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", p->state_dir, de->d_name) >=
			    (int)sizeof(path) ||
		    !strcmp(path, p->if_state))
			continue;
		found = !vip || (!sh_real_state_load(path, st) && sh_real_state_has_vip(st, vip));
		if (found)
			snprintf(iface, size, "%.*s", (int)(len - 9), de->d_name + 3);
	}
	if (d)
		closedir(d);
	free(st);
	return found;
}

/* Removes a VIP from lo unless another interface's setup still uses it. */
static int sh_real_vip_remove(const struct sh_real_addr *vip, const struct sh_real_paths *p,
			      struct sh_real_state *host, bool named)
{
	char user[IF_NAMESIZE + 8];
	int err;

	if (sh_real_other_setup(p, vip, user, sizeof(user))) {
		printf("vip %s: kept on lo, the setup of %s uses it\n", vip->text, user);
		return 0;
	}
	if (!named && !sh_real_state_has_vip(host, vip))
		return 0; /* it was on lo before shoal-real: leave it */
	sh_real_state_del_vip(host, vip);
	err = sh_real_lo_addr_del(vip);
	if (err < 0)
		sh_real_err("--vip %s: cannot remove from lo: %s", vip->text, strerror(-err));
	return err < 0 ? err : 0;
}

/* 0 when undone, 1 when there was nothing to undo, or -errno. */
static int sh_real_teardown_paths(const char *iface, const struct sh_real_addr *named, int n_named,
				  const struct sh_real_paths *p)
{
	struct sh_real_state *host = calloc(1, sizeof(*host)), *ifs = calloc(1, sizeof(*ifs));
	char other[IF_NAMESIZE + 8];
	bool found = false;
	int i, err, ret = 0;

	if (!host || !ifs) {
		ret = -ENOMEM;
		goto out;
	}
	err = sh_real_bpffs(false);
	if (err < 0) {
		ret = err;
		goto out;
	}
	if (!err && sh_real_bpf_detach(p, &found))
		ret = -EIO;
	if (sh_real_state_load(p->host_state, host) || sh_real_state_load(p->if_state, ifs)) {
		sh_real_err("%s: unreadable state; sysctls and VIPs are left as they are",
			    p->state_dir);
		ret = -EBADMSG;
		goto out;
	}
	found |= ifs->n_sysctls || ifs->n_vips;
	if (sh_real_sysctls_restore(ifs))
		ret = -EIO;
	for (i = 0; i < ifs->n_vips; i++)
		if (sh_real_vip_remove(&ifs->vips[i], p, host, false))
			ret = -EIO;
	for (i = 0; i < n_named; i++)
		if (sh_real_vip_remove(&named[i], p, host, true))
			ret = -EIO;
	if (unlink(p->if_state) && errno != ENOENT)
		ret = -errno;
	if (!sh_real_other_setup(p, NULL, other, sizeof(other))) {
		/* The last interface: the host-wide sysctls go back too. */
		if (sh_real_sysctls_restore(host))
			ret = -EIO;
		if (unlink(p->host_state) && errno != ENOENT)
			ret = -errno;
		sh_real_rmdirs(p->state_dir, SH_REAL_STATE_DIR "/");
	} else if (sh_real_state_save(p->host_state, host)) {
		ret = -EIO;
	}
	if (!found && !ret) {
		printf("%s: shoal-real was not set up here; nothing to undo\n", iface);
		ret = 1;
	}
out:
	free(host);
	free(ifs);
	return ret;
}

static int sh_real_teardown(const struct sh_real_opts *o)
{
	struct sh_real_paths p;
	int err;

	sh_real_paths_init(&p, o->iface);
	err = sh_real_teardown_paths(o->iface, o->vips, o->n_vips, &p);
	if (!err)
		printf("%s: decap detached, VIPs and sysctls restored\n", o->iface);
	return err < 0 ? err : 0;
}

static int sh_real_status(const struct sh_real_opts *o)
{
	struct sh_real_state *ifs = calloc(1, sizeof(*ifs));
	struct sh_real_paths p;
	int err = -ENOMEM, i;

	sh_real_paths_init(&p, o->iface);
	if (!ifs)
		goto out;
	err = sh_real_bpffs(false);
	if (err > 0)
		printf("%s: not set up (no bpffs at %s)\n", o->iface, SH_REAL_BPFFS);
	if (!err)
		err = sh_real_bpf_status(o->iface, &p);
	if (!err && !sh_real_state_load(p.if_state, ifs)) {
		printf("vips:");
		for (i = 0; i < ifs->n_vips; i++)
			printf(" %s", ifs->vips[i].text);
		printf("\nsysctls to restore at teardown (%s):\n", p.if_state);
		for (i = 0; i < ifs->n_sysctls; i++)
			printf("  %s %d\n", ifs->sysctls[i].key, ifs->sysctls[i].value);
	}
out:
	free(ifs);
	return err;
}

#define SH_REAL_MAX_PRUNE_IFS 64

/*
 * The interfaces pinned under a namespace's directory (scope "/netns-N"), into
 * names; -1 when one of them is still attached to a device (the namespace
 * lives) or cannot be told, or when there are more than max.
 */
static int sh_real_gone_ifaces(const char *scope, char names[][IF_NAMESIZE], int max)
{
	struct dirent *de;
	char dir[96], link[sizeof(dir) + sizeof(de->d_name) + 8];
	int n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), SH_REAL_PIN_ROOT "%s", scope);
	d = opendir(dir);
	if (!d)
		return -1;
	while (n >= 0 && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s/link", dir, de->d_name);
		if (n == max || len >= IF_NAMESIZE || sh_real_bpf_link_attached(link))
			n = -1;
		else
			memcpy(names[n++], de->d_name, len + 1);
	}
	closedir(d);
	return n;
}

/*
 * prune: the pins and state of network namespaces deleted before their
 * teardown. Their decap links are attached to no device any more (the
 * devices went with the namespace); a namespace with a link still attached,
 * or one that cannot be told, is left alone. Cookies are never reused, so a
 * directory never names a live namespace other than the one that made it.
 */
static int sh_real_prune(const struct sh_real_opts *o)
{
	char own[40], scope[40], names[SH_REAL_MAX_PRUNE_IFS][IF_NAMESIZE];
	struct sh_real_paths p;
	struct dirent *de;
	int n, i, err = 0;
	bool found;
	DIR *d;

	(void)o;
	sh_real_scope(own, sizeof(own));
	d = opendir(SH_REAL_PIN_ROOT);
	if (!d && errno != ENOENT)
		sh_real_err("%s: %s", SH_REAL_PIN_ROOT, strerror(errno));
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, "netns-", 6) || len + 2 > sizeof(scope))
			continue;
		scope[0] = '/';
		memcpy(scope + 1, de->d_name, len + 1);
		if (!strcmp(scope, own))
			continue;
		n = sh_real_gone_ifaces(scope, names, SH_REAL_MAX_PRUNE_IFS);
		for (i = 0; i < n; i++) {
			if (sh_real_paths_in(&p, scope, names[i]) || sh_real_bpf_detach(&p, &found) ||
			    (unlink(p.if_state) && errno != ENOENT))
				err = -EIO;
		}
		if (n < 0)
			continue;
		if (sh_real_paths_in(&p, scope, ""))
			continue;
		rmdir(p.pin_root); /* if no interface was pinned at all */
		if (unlink(p.host_state) && errno != ENOENT)
			err = -EIO;
		sh_real_rmdirs(p.state_dir, SH_REAL_STATE_DIR "/");
		printf("pruned %s: %d interface(s), its namespace is gone\n", de->d_name, n);
	}
	closedir(d);
	return err;
}

static const struct sh_real_cmd {
	const char *name;
	int (*run)(const struct sh_real_opts *o);
	unsigned int allowed; /* SH_OPT_* */
	unsigned int required;
	const char *usage;
} sh_real_cmds[] = {
	{ "setup", sh_real_setup, SH_OPT_IFACE | SH_OPT_VIP | SH_OPT_TUNNEL | SH_OPT_GUE | SH_OPT_MODE,
	  SH_OPT_IFACE | SH_OPT_VIP | SH_OPT_TUNNEL,
	  "setup --iface IF --vip ADDR [--vip ADDR ...] --tunnel-addr ADDR [--tunnel-addr ...]\n"
	  "                 [--gue-port N (default 6080, 0: off)] [--xdp-mode native|generic]" },
	{ "teardown", sh_real_teardown, SH_OPT_IFACE | SH_OPT_VIP, SH_OPT_IFACE,
	  "teardown --iface IF [--vip ADDR ...]" },
	{ "status", sh_real_status, SH_OPT_IFACE, SH_OPT_IFACE, "status --iface IF" },
	{ "prune", sh_real_prune, 0, 0,
	  "prune          (state left by network namespaces deleted before their teardown)" },
};
#define SH_REAL_N_CMDS (int)(sizeof(sh_real_cmds) / sizeof(sh_real_cmds[0]))

static void sh_real_usage(FILE *f)
{
	int i;

	fprintf(f, "usage:\n");
	for (i = 0; i < SH_REAL_N_CMDS; i++)
		fprintf(f, "  shoal-real %s\n", sh_real_cmds[i].usage);
	fprintf(f, "options: -v (libbpf warnings), -vv (everything), -h\n");
}

static int sh_real_add_addr(struct sh_real_addr *list, int *n, int max, const char *opt,
			    const char *text)
{
	if (*n == max) {
		sh_real_err("%s %s: at most %d", opt, text, max);
		return -E2BIG;
	}
	if (sh_real_addr_parse(text, &list[*n])) {
		sh_real_err("%s '%s': not an IPv4 or IPv6 address", opt, text);
		return -EINVAL;
	}
	++*n;
	return 0;
}

/* Parses the options after the command; 0 or -EINVAL (message printed). */
static int sh_real_parse(int argc, char **argv, const struct sh_real_cmd *cmd,
			 struct sh_real_opts *o)
{
	static const struct option longopts[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "vip", required_argument, NULL, 'V' },
		{ "tunnel-addr", required_argument, NULL, 'T' },
		{ "gue-port", required_argument, NULL, 'G' },
		{ "xdp-mode", required_argument, NULL, 'M' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int seen = 0;
	char *endp;
	long port;
	int c;

	o->gue_port = SH_DECAP_GUE_PORT;
	while ((c = getopt_long(argc, argv, "i:vh", longopts, NULL)) != -1) {
		unsigned int bit = c == 'V' ? SH_OPT_VIP : c == 'T' ? SH_OPT_TUNNEL :
				   c == 'G' ? SH_OPT_GUE : c == 'M' ? SH_OPT_MODE :
				   c == 'i' ? SH_OPT_IFACE : 0;

		if (bit && !(cmd->allowed & bit)) {
			sh_real_err("%s: takes no --%s", cmd->name,
				    c == 'V' ? "vip" : c == 'T' ? "tunnel-addr" :
				    c == 'G' ? "gue-port" : c == 'M' ? "xdp-mode" : "iface");
			return -EINVAL;
		}
		seen |= bit;
		switch (c) {
		case 'i':
			if (!*optarg || strlen(optarg) >= IF_NAMESIZE || strchr(optarg, '/')) {
				sh_real_err("--iface '%s': not an interface name", optarg);
				return -EINVAL;
			}
			o->iface = optarg;
			break;
		case 'V':
			if (sh_real_add_addr(o->vips, &o->n_vips, SH_REAL_MAX_VIPS, "--vip",
					     optarg))
				return -EINVAL;
			break;
		case 'T':
			if (sh_real_add_addr(o->tuns, &o->n_tuns, SH_DECAP_MAX_TUNNEL_ADDRS,
					     "--tunnel-addr", optarg))
				return -EINVAL;
			break;
		case 'G':
			errno = 0;
			port = strtol(optarg, &endp, 10);
			if (errno || *endp || endp == optarg || port < 0 || port > 65535) {
				sh_real_err("--gue-port '%s': not a port (0-65535, 0: GUE off)",
					    optarg);
				return -EINVAL;
			}
			o->gue_port = (int)port;
			break;
		case 'M':
			if (strcmp(optarg, "native") && strcmp(optarg, "generic")) {
				sh_real_err("--xdp-mode '%s': native or generic", optarg);
				return -EINVAL;
			}
			o->generic = !strcmp(optarg, "generic");
			break;
		case 'v':
			sh_real_verbose++;
			break;
		case 'h':
			sh_real_usage(stdout);
			exit(0);
		default:
			return -EINVAL; /* getopt said what */
		}
	}
	if (optind < argc) {
		sh_real_err("%s: unexpected argument '%s'", cmd->name, argv[optind]);
		return -EINVAL;
	}
	if ((cmd->required & SH_OPT_IFACE) && !o->iface) {
		sh_real_err("%s: --iface is required", cmd->name);
		return -EINVAL;
	}
	if ((cmd->required & SH_OPT_VIP) && !(seen & SH_OPT_VIP)) {
		sh_real_err("%s: at least one --vip is required", cmd->name);
		return -EINVAL;
	}
	if ((cmd->required & SH_OPT_TUNNEL) && !(seen & SH_OPT_TUNNEL)) {
		sh_real_err("%s: at least one --tunnel-addr is required (the outer destinations to "
			    "decapsulate; none means nothing would be)", cmd->name);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct sh_real_opts opts;
	const struct sh_real_cmd *cmd = NULL;
	int i;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		sh_real_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (i = 0; i < SH_REAL_N_CMDS; i++)
		if (!strcmp(argv[1], sh_real_cmds[i].name))
			cmd = &sh_real_cmds[i];
	if (!cmd) {
		sh_real_err("'%s': not a command (setup, teardown, status, prune)", argv[1]);
		sh_real_usage(stderr);
		return 2;
	}
	if (sh_real_parse(argc - 1, argv + 1, cmd, &opts)) {
		fprintf(stderr, "usage: shoal-real %s\n", cmd->usage);
		return 2;
	}
	libbpf_set_print(sh_real_libbpf_print);
	if (strcmp(cmd->name, "status") && sh_real_lock() < 0)
		return 1;
	return cmd->run(&opts) ? 1 : 0;
}
