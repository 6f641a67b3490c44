// SPDX-License-Identifier: BSD-3-Clause
/* The host side of shoal-real: addresses on lo, sysctls, state files. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "real_host.h"

int sh_real_addr_parse(const char *text, struct sh_real_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, &out->a.v4) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, text, &out->a.v6) == 1)
		out->family = AF_INET6;
	else
		return -EINVAL;
	/* The canonical spelling, so that state files and messages compare equal. */
	inet_ntop(out->family, &out->a, out->text, sizeof(out->text));
	return 0;
}

bool sh_real_addr_equal(const struct sh_real_addr *a, const struct sh_real_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->a.v4.s_addr == b->a.v4.s_addr;
	return !memcmp(&a->a.v6, &b->a.v6, sizeof(a->a.v6));
}

static void sh_real_nl_put_attr(struct nlmsghdr *nh, unsigned short type, const void *data,
				unsigned short len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* One RTM_NEWADDR/RTM_DELADDR for a on lo, waiting for the kernel's answer. */
static int sh_real_nl_addr(int type, int flags, const struct sh_real_addr *a)
{
	struct {
		struct nlmsghdr nh;
		struct ifaddrmsg ifa;
		char attrs[2 * RTA_SPACE(sizeof(struct in6_addr))];
	} req;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	unsigned short alen = a->family == AF_INET ? 4 : 16;
	char buf[4096];
	struct nlmsghdr *nh;
	int fd, err;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.ifa));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	req.nh.nlmsg_seq = 1;
	req.ifa.ifa_family = a->family;
	req.ifa.ifa_prefixlen = alen * 8;
	req.ifa.ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0;
	req.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	req.ifa.ifa_index = if_nametoindex("lo");
	if (!req.ifa.ifa_index)
		return -ENODEV;
	sh_real_nl_put_attr(&req.nh, IFA_LOCAL, &a->a, alen);
	sh_real_nl_put_attr(&req.nh, IFA_ADDRESS, &a->a, alen);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	err = -EPROTO;
	for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
		if (nh->nlmsg_type == NLMSG_ERROR) {
			err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
			break;
		}
	}
out:
	close(fd);
	return err;
}

int sh_real_lo_addr_add(const struct sh_real_addr *a)
{
	int err = sh_real_nl_addr(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, a);

	return err == -EEXIST ? 1 : err;
}

int sh_real_lo_addr_del(const struct sh_real_addr *a)
{
	int err = sh_real_nl_addr(RTM_DELADDR, 0, a);

	return err == -EADDRNOTAVAIL || err == -ENOENT ? 1 : err;
}

int sh_real_lo_is_up(void)
{
	struct ifreq ifr;
	int fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	err = ioctl(fd, SIOCGIFFLAGS, &ifr) ? -errno : !!(ifr.ifr_flags & IFF_UP);
	close(fd);
	return err;
}

static int sh_real_sysctl_path(const char *key, char *path, size_t size)
{
	int n = snprintf(path, size, "/proc/sys/%s", key);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int sh_real_sysctl_read(const char *key, int *value)
{
	char path[160];
	FILE *f;
	int err;

	err = sh_real_sysctl_path(key, path, sizeof(path));
	if (err)
		return err;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	err = fscanf(f, "%d", value) == 1 ? 0 : -EIO;
	fclose(f);
	return err;
}

int sh_real_sysctl_write(const char *key, int value)
{
	char path[160], text[16];
	int fd, err, n;

	err = sh_real_sysctl_path(key, path, sizeof(path));
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(text, sizeof(text), "%d\n", value);
	err = write(fd, text, n) == n ? 0 : -errno;
	close(fd);
	return err;
}

/*
 * State file format, one item a line, '#' comments:
 *   sysctl net/ipv4/conf/all/arp_ignore 0
 *   vip 198.18.1.1
 */
int sh_real_state_load(const char *path, struct sh_real_state *st)
{
	char line[256], word[16], arg[128];
	int value, err = 0;
	FILE *f;

	memset(st, 0, sizeof(*st));
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		struct sh_real_addr a;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "sysctl %95s %d", arg, &value) == 2) {
			struct sh_real_sysctl *s = &st->sysctls[st->n_sysctls];

			if (st->n_sysctls == SH_REAL_MAX_SYSCTLS) {
				err = -E2BIG;
				break;
			}
			memcpy(s->key, arg, sizeof(s->key)); /* %95s: NUL-terminated within */
			s->value = value;
			st->n_sysctls++;
		} else if (sscanf(line, "%15s %127s", word, arg) == 2 && !strcmp(word, "vip") &&
			   !sh_real_addr_parse(arg, &a)) {
			err = sh_real_state_add_vip(st, &a);
		} else {
			err = -EBADMSG;
		}
	}
	fclose(f);
	return err;
}

int sh_real_state_save(const char *path, const struct sh_real_state *st)
{
	char tmp[300];
	FILE *f;
	int i, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fprintf(f, "# shoal-real: what setup changed, for teardown to restore. Do not edit.\n");
	for (i = 0; i < st->n_sysctls; i++)
		fprintf(f, "sysctl %s %d\n", st->sysctls[i].key, st->sysctls[i].value);
	for (i = 0; i < st->n_vips; i++)
		fprintf(f, "vip %s\n", st->vips[i].text);
	err = fflush(f) || fsync(fileno(f)) ? -errno : 0;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

bool sh_real_state_has_vip(const struct sh_real_state *st, const struct sh_real_addr *a)
{
	int i;

	for (i = 0; i < st->n_vips; i++)
		if (sh_real_addr_equal(&st->vips[i], a))
			return true;
	return false;
}

int sh_real_state_add_vip(struct sh_real_state *st, const struct sh_real_addr *a)
{
	if (sh_real_state_has_vip(st, a))
		return 0;
	if (st->n_vips == SH_REAL_MAX_VIPS)
		return -E2BIG;
	st->vips[st->n_vips++] = *a;
	return 0;
}

void sh_real_state_del_vip(struct sh_real_state *st, const struct sh_real_addr *a)
{
	int i;

	for (i = 0; i < st->n_vips; i++) {
		if (sh_real_addr_equal(&st->vips[i], a)) {
			st->vips[i] = st->vips[--st->n_vips];
			return;
		}
	}
}

/*
 * The inode of our namespace of kind ns ("net", "mnt") if it is not the
 * host's, else 0. The host's is init's, or kthreadd's where init's is hidden
 * (some sandboxes); unknown counts as the host's.
 */
unsigned long sh_real_foreign_ns(const char *ns)
{
	struct stat self, host;
	char path[32];

	snprintf(path, sizeof(path), "/proc/self/ns/%s", ns);
	if (stat(path, &self))
		return 0;
	snprintf(path, sizeof(path), "/proc/1/ns/%s", ns);
	if (stat(path, &host)) {
		snprintf(path, sizeof(path), "/proc/2/ns/%s", ns);
		if (stat(path, &host))
			return 0;
	}
	return self.st_ino != host.st_ino ? (unsigned long)self.st_ino : 0;
}

/* mkdir -p, mode 0700, for the few levels under /sys/fs/bpf and /run. */
int sh_real_mkdirs(const char *path)
{
	char buf[128], *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	for (slash = strchr(buf + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		if (!slash)
			return 0;
		*slash = '/';
	}
}

/* rmdir of path and of its parents up to top, as long as they are empty. */
void sh_real_rmdirs(const char *path, const char *top)
{
	char buf[128], *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	while (strlen(buf) >= strlen(top) && !rmdir(buf) && (slash = strrchr(buf, '/')))
		*slash = '\0';
}
