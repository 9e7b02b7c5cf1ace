/*
 * replay_report.c - what a replay prints: one line per exit with
 * --verbose, and for each divergence a header naming the seq, vCPU,
 * device and what differs, followed by the exits just before it (read
 * from the recording only when a divergence happens, so the walk itself
 * never pays for the history).
 */
#include <inttypes.h>
#include <string.h>

#include "replayer/replay_int.h"

#define HISTORY 8

void replay_hex(char *out, size_t outlen, const uint8_t *p, size_t n, size_t max)
{
	size_t o = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && i < max && o + 4 < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, i ? " %02x" : "%02x", p[i]);
	if (n > max && o + 24 < outlen)
		snprintf(out + o, outlen - o, " ... (%zu bytes)", n);
}

/* "port 0x3f8 (com1 thr) OUT 1: 41" and the like. */
static void fmt_access(struct replay *r, char *buf, size_t len, int space,
		       uint64_t addr, uint32_t size, uint32_t count, bool is_write,
		       const uint8_t *data, size_t n, const char *device)
{
	const struct bus_region *reg = bus_find(&r->board.bus, space, addr);
	const char *rn = reg ? bus_regname(reg, addr, is_write) : "";
	char hex[200], rep[32] = "";
	const char *dir;

	if (count > 1)
		snprintf(rep, sizeof(rep), " x%u", count);
	replay_hex(hex, sizeof(hex), data, n, 16);
	if (space == BUS_PIO)
		dir = is_write ? "OUT" : "IN";
	else
		dir = is_write ? "write" : "read";
	snprintf(buf, len, "%s 0x%" PRIx64 " (%s%s%s) %s size %u%s: %s",
		 space == BUS_PIO ? "port" : "gpa", addr, device ? device : "unclaimed",
		 rn && *rn ? " " : "", rn ? rn : "", dir, size, rep, hex);
}

void replay_report_exit(struct replay *r, uint64_t seq, uint32_t vcpu,
			uint32_t reason, int space, uint64_t addr, uint32_t size,
			uint32_t count, bool is_write, const uint8_t *data,
			size_t len, const char *device)
{
	char acc[400] = "";

	if (r->o->one_vcpu && vcpu != r->o->vcpu)
		return;
	if (space >= 0)
		fmt_access(r, acc, sizeof(acc), space, addr, size, count, is_write, data,
			   len, device);
	fprintf(r->out, "seq %" PRIu64 " vcpu %u %s%s%s\n", seq, vcpu,
		replay_reason_name(r, reason), *acc ? " " : "", acc);
}

struct history {
	struct replay *r;
	uint64_t seq;
};

static int history_row(void *arg, const struct log_cur *c)
{
	struct history *h = arg;
	struct replay *r = h->r;
	uint64_t s = (uint64_t)logread_int(c, 0);
	int base = !logread_is_null(c, 3) ? 3 : !logread_is_null(c, 9) ? 9 : -1;
	char acc[400];

	acc[0] = 0;
	if (base == 3)
		fmt_access(r, acc, sizeof(acc), BUS_PIO, (uint64_t)logread_int(c, 3),
			   (uint32_t)logread_int(c, 4), (uint32_t)logread_int(c, 5),
			   logread_int(c, 6), logread_blob(c, 7), logread_bytes(c, 7),
			   logread_text(c, 8));
	else if (base == 9)
		fmt_access(r, acc, sizeof(acc), BUS_MMIO, (uint64_t)logread_int(c, 9),
			   (uint32_t)logread_int(c, 10), 1, logread_int(c, 11),
			   logread_blob(c, 12), logread_bytes(c, 12), logread_text(c, 13));
	fprintf(r->out, "  %c seq %" PRIu64 " vcpu %d %s%s%s\n", s == h->seq ? '>' : ' ', s,
		(int)logread_int(c, 1), replay_reason_name(r, (uint32_t)logread_int(c, 2)),
		*acc ? " " : "", acc);
	return 0;
}

static void report_history(struct replay *r, uint64_t seq)
{
	static const char sql[] =
		"SELECT e.seq, e.vcpu, e.reason, p.port, p.size, p.count, p.is_write, p.data,"
		" p.device, m.gpa, m.len, m.is_write, m.data, m.device"
		" FROM exits e LEFT JOIN pio p ON p.seq = e.seq LEFT JOIN mmio m ON m.seq = e.seq"
		" WHERE e.seq BETWEEN ?1 AND ?2 ORDER BY e.seq";
	struct history h = { r, seq };

	fprintf(r->out, "  exits up to it:\n");
	logread_query(&r->log, sql, seq > HISTORY ? (int64_t)(seq - HISTORY) : 1, (int64_t)seq,
		      history_row, &h);
}

static int vcpu_row(void *arg, const struct log_cur *c)
{
	*(int *)arg = (int)logread_int(c, 0);
	return 0;
}

static int report_vcpu(struct replay *r, uint64_t seq)
{
	int v = -1;

	if (seq == r->seq)
		return (int)r->vcpu;
	logread_query(&r->log, "SELECT vcpu FROM exits WHERE seq = ?1", (int64_t)seq, 0,
		      vcpu_row, &v);
	return v;
}

static void report_one(struct replay *r, uint64_t seq, const char *device,
		       const char *msg)
{
	int vcpu;

	if (r->stopped)
		return; /* one report unless --keep-going */
	vcpu = report_vcpu(r, seq);
	if (vcpu >= 0)
		fprintf(r->out, "divergence at seq %" PRIu64 " (vcpu %d): device %s, %s\n", seq,
			vcpu, device ? device : "(none)", msg);
	else
		fprintf(r->out, "divergence at seq %" PRIu64 ": device %s, %s\n", seq,
			device ? device : "(none)", msg);
	report_history(r, seq);
	if (!r->o->keep_going)
		r->stopped = true;
}

void replay_report_diverge(void *arg, uint64_t seq, const char *device,
			   const char *msg)
{
	report_one(arg, seq, device, msg);
}

void replay_report_access(struct replay *r, uint64_t seq, const char *device,
			  const char *msg)
{
	r->hr.ndiv++;
	report_one(r, seq, device, msg);
}
