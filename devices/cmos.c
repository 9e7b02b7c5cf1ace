/*
 * cmos.c - MC146818 RTC and CMOS RAM (see cmos.h for what is modelled).
 *
 * The clock is never stored: every read of a time register converts
 * epoch + offset + host_now_ns()/1e9 to a calendar date (proleptic
 * Gregorian, UTC; days <-> civil date after H. Hinnant's public-domain
 * algorithms) and encodes it per register B.  Setting the clock only
 * changes `offset`, so the model stays a pure function of the access
 * sequence and the host's answers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/cmos.h"

#define REG_SEC 0x00
#define REG_MIN 0x02
#define REG_HOUR 0x04
#define REG_WDAY 0x06
#define REG_MDAY 0x07
#define REG_MON 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY 0x32

#define B_SET 0x80
#define B_DM 0x04
#define B_24H 0x02
#define A_UIP 0x80
#define D_VRT 0x80

struct rtc_tm {
	int64_t year; /* full year */
	int mon, mday, hour, min, sec, wday; /* mon 1-12, wday 0 = Sunday */
};

struct cmos {
	const char *name;
	uint64_t epoch;
	uint64_t mem_lo, mem_hi;
	int64_t offset;      /* seconds added by the guest setting the clock */
	uint8_t index;
	bool nmi_disabled;   /* index bit 7, stored only */
	bool frozen_valid;   /* B.SET: time registers read/write `frozen` */
	struct rtc_tm frozen;
	uint8_t ram[128];    /* registers 1/3/5 (alarms), A, B, and 0x0e-0x7f */
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void tm_from_secs(int64_t s, struct rtc_tm *t)
{
	int64_t days = floor_div(s, 86400), rem = s - days * 86400;
	int64_t z = days + 719468, era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	t->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	t->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	t->year = yoe + era * 400 + (t->mon <= 2);
	t->hour = (int)(rem / 3600);
	t->min = (int)(rem / 60 % 60);
	t->sec = (int)(rem % 60);
	t->wday = (int)(days + 4 - floor_div(days + 4, 7) * 7);
}

static int64_t secs_from_tm(const struct rtc_tm *t)
{
	return days_from_civil(t->year, t->mon, t->mday) * 86400 +
	       t->hour * 3600 + t->min * 60 + t->sec;
}

/* The clock's current value in seconds (one host_now_ns call). */
static int64_t cmos_now(const struct cmos *c, const struct host *h)
{
	return (int64_t)c->epoch + c->offset + (int64_t)(host_now_ns(h) / 1000000000u);
}

static void cmos_preset(struct cmos *c)
{
	uint64_t ext_kb = 0, above16 = 0, above4g = c->mem_hi / 65536;
	unsigned sum = 0;

	memset(c->ram, 0, sizeof(c->ram));
	c->ram[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
	c->ram[REG_B] = B_24H;
	c->ram[0x10] = 0x00;  /* no floppy drives */
	c->ram[0x12] = 0x00;  /* no CMOS hard disk types */
	c->ram[0x14] = 0x02;  /* equipment: FPU, no floppy, EGA/VGA */
	c->ram[0x15] = 0x80;  /* base memory 640 KiB = 0x0280 */
	c->ram[0x16] = 0x02;
	if (c->mem_lo > (1u << 20))
		ext_kb = (c->mem_lo - (1u << 20)) / 1024;
	if (ext_kb > 0xffff)
		ext_kb = 0xffff;
	c->ram[0x17] = c->ram[0x30] = (uint8_t)ext_kb;
	c->ram[0x18] = c->ram[0x31] = (uint8_t)(ext_kb >> 8);
	if (c->mem_lo > (16u << 20))
		above16 = (c->mem_lo - (16u << 20)) / 65536;
	if (above16 > 0xffff)
		above16 = 0xffff;
	c->ram[0x34] = (uint8_t)above16;
	c->ram[0x35] = (uint8_t)(above16 >> 8);
	if (above4g > 0xffffff)
		above4g = 0xffffff;
	c->ram[0x5b] = (uint8_t)above4g;
	c->ram[0x5c] = (uint8_t)(above4g >> 8);
	c->ram[0x5d] = (uint8_t)(above4g >> 16);
	for (int i = 0x10; i <= 0x2d; i++)
		sum += c->ram[i];
	c->ram[0x2e] = (uint8_t)(sum >> 8);
	c->ram[0x2f] = (uint8_t)sum;
}

struct cmos *cmos_create(const char *name, uint64_t epoch_seconds,
			 uint64_t mem_below_4g, uint64_t mem_above_4g)
{
	struct cmos *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->name = name;
	c->epoch = epoch_seconds;
	c->mem_lo = mem_below_4g;
	c->mem_hi = mem_above_4g;
	cmos_reset(c);
	return c;
}

void cmos_reset(struct cmos *c)
{
	c->offset = 0;
	c->index = 0;
	c->nmi_disabled = false;
	c->frozen_valid = false;
	cmos_preset(c);
}

void cmos_destroy(struct cmos *c)
{
	free(c);
}

static bool is_time_reg(unsigned r)
{
	return r == REG_SEC || r == REG_MIN || r == REG_HOUR || r == REG_WDAY ||
	       r == REG_MDAY || r == REG_MON || r == REG_YEAR || r == REG_CENTURY;
}

static uint8_t enc(const struct cmos *c, int v)
{
	if (c->ram[REG_B] & B_DM)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* Decode a written value; -1 when it is not a valid number in this mode. */
static int dec(const struct cmos *c, uint8_t v)
{
	if (c->ram[REG_B] & B_DM)
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t time_read(const struct cmos *c, const struct rtc_tm *t, unsigned r)
{
	switch (r) {
	case REG_SEC: return enc(c, t->sec);
	case REG_MIN: return enc(c, t->min);
	case REG_HOUR:
		if (c->ram[REG_B] & B_24H)
			return enc(c, t->hour);
		return (uint8_t)(enc(c, t->hour % 12 ? t->hour % 12 : 12) |
				 (t->hour >= 12 ? 0x80 : 0));
	case REG_WDAY: return enc(c, t->wday + 1);
	case REG_MDAY: return enc(c, t->mday);
	case REG_MON: return enc(c, t->mon);
	case REG_YEAR: return enc(c, (int)(t->year % 100));
	default: return enc(c, (int)(t->year / 100 % 100)); /* century */
	}
}

/* Apply a written time field to *t.  0 or -EINVAL (value out of range). */
static int time_write(const struct cmos *c, struct rtc_tm *t, unsigned r, uint8_t v)
{
	int pm = 0, x;

	if (r == REG_HOUR && !(c->ram[REG_B] & B_24H)) {
		pm = v & 0x80;
		v &= 0x7f;
	}
	x = dec(c, v);
	switch (r) {
	case REG_SEC: if (x < 0 || x > 59) return -EINVAL; t->sec = x; break;
	case REG_MIN: if (x < 0 || x > 59) return -EINVAL; t->min = x; break;
	case REG_HOUR:
		if (c->ram[REG_B] & B_24H) {
			if (x < 0 || x > 23)
				return -EINVAL;
			t->hour = x;
		} else {
			if (x < 1 || x > 12)
				return -EINVAL;
			t->hour = x % 12 + (pm ? 12 : 0);
		}
		break;
	case REG_WDAY: if (x < 1 || x > 7) return -EINVAL; break; /* derived */
	case REG_MDAY: if (x < 1 || x > 31) return -EINVAL; t->mday = x; break;
	case REG_MON: if (x < 1 || x > 12) return -EINVAL; t->mon = x; break;
	case REG_YEAR:
		if (x < 0 || x > 99)
			return -EINVAL;
		t->year = t->year / 100 * 100 + x;
		break;
	default:
		if (x < 0 || x > 99)
			return -EINVAL;
		t->year = (int64_t)x * 100 + t->year % 100;
		break;
	}
	return 0;
}

static uint8_t cmos_read_reg(struct cmos *c, const struct host *h, unsigned r)
{
	struct rtc_tm t;

	if (is_time_reg(r)) {
		if (c->frozen_valid)
			return time_read(c, &c->frozen, r);
		tm_from_secs(cmos_now(c, h), &t);
		return time_read(c, &t, r);
	}
	switch (r) {
	case REG_A: return c->ram[REG_A] & (uint8_t)~A_UIP;
	case REG_C: return 0; /* no flags ever set; reading clears */
	case REG_D: return D_VRT;
	default: return c->ram[r];
	}
}

static int cmos_write_reg(struct cmos *c, const struct host *h, unsigned r, uint8_t v)
{
	struct rtc_tm t;
	int64_t now;
	int rc;

	if (is_time_reg(r)) {
		if (c->frozen_valid)
			return time_write(c, &c->frozen, r, v);
		now = cmos_now(c, h);
		tm_from_secs(now, &t);
		rc = time_write(c, &t, r, v);
		if (!rc)
			c->offset += secs_from_tm(&t) - now;
		return rc;
	}
	switch (r) {
	case REG_A:
		c->ram[REG_A] = v & (uint8_t)~A_UIP;
		return 0;
	case REG_B:
		if ((v & B_SET) && !c->frozen_valid) {
			tm_from_secs(cmos_now(c, h), &c->frozen);
			c->frozen_valid = true;
		} else if (!(v & B_SET) && c->frozen_valid) {
			c->offset += secs_from_tm(&c->frozen) - cmos_now(c, h);
			c->frozen_valid = false;
		}
		c->ram[REG_B] = v;
		return 0;
	case REG_C:
	case REG_D:
		return 0; /* read-only */
	default:
		c->ram[r] = v;
		return 0;
	}
}

int cmos_io(void *dev, const struct host *h, uint64_t off, void *data,
	    uint32_t len, bool is_write)
{
	struct cmos *c = dev;
	uint8_t *b = data;
	int rc = 0;

	for (uint32_t i = 0; i < len; i++) {
		uint64_t port = off + i;

		if (port == 0) {
			if (is_write) {
				c->index = b[i] & 0x7f;
				c->nmi_disabled = (b[i] & 0x80) != 0;
			} else {
				b[i] = 0xff;
			}
		} else if (port == 1) {
			if (is_write) {
				int r = cmos_write_reg(c, h, c->index, b[i]);

				if (r)
					rc = r;
			} else {
				b[i] = cmos_read_reg(c, h, c->index);
			}
		} else if (!is_write) {
			b[i] = 0xff;
		}
	}
	return rc;
}

const char *cmos_regname(uint64_t off, bool is_write)
{
	(void)is_write;
	return off == 0 ? "index" : "data";
}
