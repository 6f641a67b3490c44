// SPDX-License-Identifier: BSD-3-Clause
/*
 * Can this interface run XDP natively? Asked without touching it: attaching a
 * program to find out would make many drivers reset their queues. The kernel
 * (6.3 and later) reports each device's XDP features over the generic netlink
 * family "netdev"; an XDP program already attached in driver mode answers too.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xdp_probe.h"

/* From linux/netdev.h (not in Debian 12's headers): the "netdev" genetlink family. */
#define SH_NETDEV_CMD_DEV_GET 1
#define SH_NETDEV_A_DEV_IFINDEX 1
#define SH_NETDEV_A_DEV_XDP_FEATURES 3

#define NL_BUF 4096

struct nl_msg {
	struct nlmsghdr nh;
	struct genlmsghdr g;
	char attrs[64];
};

/* An empty generic-netlink request to family, command cmd. */
static void nl_begin(struct nl_msg *m, __u16 family, __u8 cmd)
{
	memset(m, 0, sizeof(*m));
	m->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	m->nh.nlmsg_type = family;
	m->nh.nlmsg_flags = NLM_F_REQUEST;
	m->g.cmd = cmd;
	m->g.version = 1;
}

static void nl_put(struct nl_msg *m, __u16 type, const void *data, __u16 len)
{
	struct nlattr *a = (struct nlattr *)((char *)m + NLMSG_ALIGN(m->nh.nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	m->nh.nlmsg_len = NLMSG_ALIGN(m->nh.nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/*
 * Send m, read the answer into buf and find attribute `want` of its first
 * message: *attr points at its payload. 0, or -errno (the kernel's answer).
 */
static int nl_ask(int fd, struct nl_msg *m, char *buf, __u16 want, void **attr, __u16 *attr_len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	struct nlattr *a;
	ssize_t n;
	int left;

	if (send(fd, m, m->nh.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, NL_BUF, 0);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(nh, (size_t)n))
		return -EBADMSG;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		struct nlmsgerr *e = NLMSG_DATA(nh);

		return e->error ? e->error : -ENODATA;
	}
	a = (struct nlattr *)((char *)NLMSG_DATA(nh) + GENL_HDRLEN);
	left = (int)nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
	while (left >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= left) {
		if ((a->nla_type & NLA_TYPE_MASK) == want) {
			*attr = (char *)a + NLA_HDRLEN;
			*attr_len = a->nla_len - NLA_HDRLEN;
			return 0;
		}
		left -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
	return -ENODATA;
}

int sh_xdp_features(int ifindex, __u64 *features)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[NL_BUF] __attribute__((aligned(8)));
	struct nl_msg m;
	__u16 family, len;
	__u32 idx = ifindex;
	void *attr;
	int fd, ret;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		goto out;
	}
	nl_begin(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY);
	nl_put(&m, CTRL_ATTR_FAMILY_NAME, "netdev", sizeof("netdev"));
	ret = nl_ask(fd, &m, buf, CTRL_ATTR_FAMILY_ID, &attr, &len);
	if (ret)
		goto out; /* -ENOENT: a kernel without the netdev family */
	if (len < sizeof(family)) {
		ret = -EBADMSG;
		goto out;
	}
	memcpy(&family, attr, sizeof(family));
	nl_begin(&m, family, SH_NETDEV_CMD_DEV_GET);
	nl_put(&m, SH_NETDEV_A_DEV_IFINDEX, &idx, sizeof(idx));
	ret = nl_ask(fd, &m, buf, SH_NETDEV_A_DEV_XDP_FEATURES, &attr, &len);
	if (!ret && len >= sizeof(*features))
		memcpy(features, attr, sizeof(*features));
	else if (!ret)
		ret = -EBADMSG;
out:
	close(fd);
	return ret;
}

/* By ioctl, not /sys: under nsenter --net, /sys still shows the old namespace. */
int sh_xdp_mtu(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ret = ioctl(fd, SIOCGIFMTU, &ifr) ? -errno : ifr.ifr_mtu;
	close(fd);
	return ret;
}

/* An ethtool request on ifname; 0 or -errno. */
static int ethtool_ioctl(const char *ifname, void *cmd)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		ret = -errno;
	close(fd);
	return ret;
}

void sh_xdp_driver_name(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };

	if (ethtool_ioctl(ifname, &info))
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "%s", info.driver);
}

int sh_xdp_rx_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	int ret = ethtool_ioctl(ifname, &ch);

	if (ret == -EOPNOTSUPP)
		return 1; /* no channels to set: a single-queue device */
	if (ret)
		return ret;
	/* Receive queues are rx-only channels plus combined ones. */
	return (int)(ch.rx_count + ch.combined_count) ? (int)(ch.rx_count + ch.combined_count) : 1;
}

int sh_xdp_probe_native(const char *ifname, bool generic, char *why, size_t why_len)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	char drv[32];
	__u64 features = 0;
	int ifindex, ret;

	ifindex = ifname ? (int)if_nametoindex(ifname) : 0;
	if (!ifindex) {
		snprintf(why, why_len, "interface %s: no such interface",
			 ifname ? ifname : "(none)");
		return -ENODEV;
	}
	if (generic) {
		snprintf(
			why, why_len,
			"%s: generic XDP runs on any interface, far slower than native (for tests)",
			ifname);
		return 0;
	}
	sh_xdp_driver_name(ifname, drv, sizeof(drv));
	if (!bpf_xdp_query(ifindex, 0, &q) && q.drv_prog_id) {
		snprintf(why, why_len,
			 "%s (driver %s): native XDP, a program is attached in driver "
			 "mode now (id %u)",
			 ifname, drv, q.drv_prog_id);
		return 0;
	}
	ret = sh_xdp_features(ifindex, &features);
	if (ret) {
		snprintf(
			why, why_len,
			"%s (driver %s): cannot tell, the kernel does not report XDP features (%s; "
			"needs Linux 6.3 or later); starting will try",
			ifname, drv, strerror(-ret));
		return ret == -ENOENT ? -EOPNOTSUPP : ret;
	}
	if (!(features & SH_XDP_ACT_BASIC)) {
		snprintf(why, why_len,
			 "%s (driver %s): no native XDP (features %#llx); --xdp-mode generic runs, "
			 "slowly",
			 ifname, drv, (unsigned long long)features);
		return -EOPNOTSUPP;
	}
	snprintf(why, why_len, "%s (driver %s): native XDP supported (features %#llx)", ifname, drv,
		 (unsigned long long)features);
	return 0;
}
