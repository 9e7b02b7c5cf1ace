/*
 * replay_event.c - asynchronous events in the replay walk: each row of
 * `events` is delivered to its device at its seq, between the exits around
 * it, exactly as the recorder's IO thread or console thread delivered it
 * under the dispatch lock:
 *
 *   blk_done    the pending request (device, tag) is carried out on the
 *               overlay and compared with its blk_requests row (the one
 *               whose done_seq is this seq), then the device's completion
 *               runs with the recorded status: its DMA and IRQ calls are
 *               compared with the rows of this seq, as for an exit;
 *   console_in  the bytes go to COM1's receiver; the model must have had
 *               room for them (the recorder offered no more than that).
 *
 * Events need no thread and no clock in the replay: the log fixes where
 * they happen, so the models see the same inputs in the same order.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "replayer/replay_int.h"

static int ev_damaged(struct replay *r, const char *what, uint64_t seq)
{
	replay_error(r, "%s: damaged recording: %s (seq %" PRIu64 ")", r->o->db, what, seq);
	return -EBADMSG;
}

static void ev_diverge(struct replay *r, uint64_t seq, const char *device, const char *fmt,
		       uint64_t a, uint64_t b)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, a, b);
	r->hr.ndiv++;
	replay_report_diverge(r, seq, device, msg);
}

static void ev_blk_done(struct replay *r, const struct log_cur *c, uint64_t seq,
			const char *device)
{
	uint64_t tag = (uint64_t)logread_int(c, EV_TAG);
	int status = (int)logread_int(c, EV_STATUS);
	int got = hostreplay_blk_done(&r->hr, device, tag);
	int rc;

	if (got == -ENOENT)
		return; /* reported */
	if (got != status)
		ev_diverge(r, seq, device, "blk_done: status %" PRId64 " in the replay, %" PRId64
			   " in the recording", (uint64_t)(int64_t)got, (uint64_t)(int64_t)status);
	rc = board_blk_complete(&r->board, &r->host, device, tag, status);
	if (rc == -ENODEV || rc == -ENOENT)
		ev_diverge(r, seq, device, "blk_done: the model has no request %" PRIu64
			   " in flight (%" PRIu64 ")", tag, (uint64_t)-rc);
}

static void ev_console_in(struct replay *r, const struct log_cur *c, uint64_t seq)
{
	const uint8_t *p = logread_blob(c, EV_DATA);
	size_t n = logread_bytes(c, EV_DATA);
	unsigned room = board_console_room(&r->board);

	if (room < n)
		ev_diverge(r, seq, BOARD_CONSOLE, "console_in: %" PRIu64 " bytes in the recording, "
			   "the model's receiver has room for %" PRIu64, n, room);
	board_console_input(&r->board, &r->host, p, n);
}

/* replay -o: the event's own row. */
static int ev_put(struct replay *r, const struct log_cur *c, uint64_t seq, int kind,
		  const char *device, uint64_t t_ns)
{
	struct rec_event e = {
		.seq = seq, .t_ns = t_ns, .kind = kind, .device = device,
		.tag = (uint64_t)logread_int(c, EV_TAG),
		.status = (int32_t)logread_int(c, EV_STATUS),
		.data = logread_blob(c, EV_DATA), .len = (uint32_t)logread_bytes(c, EV_DATA),
	};
	int rc;

	if (!r->st)
		return 0;
	if (kind != STORE_EV_CONSOLE_IN)
		e.data = NULL;
	rc = store_put_event(r->st, &e);
	if (!rc)
		rc = r->hr.out_err;
	if (rc)
		replay_error(r, "%s: writing seq %" PRIu64 ": events row: %s", r->o->out_db, seq,
			     strerror(-rc));
	return rc;
}

/* Deliver the current event (seq, the cursor's row). */
static int ev_deliver(struct replay *r, struct log_cur *c, uint64_t seq)
{
	const char *kind = logread_text(c, EV_KIND);
	const char *dtext = logread_text(c, EV_DEVICE);
	const struct board_dev *dev = dtext ? board_find(&r->board, dtext) : NULL;
	const char *device = dev ? dev->name : NULL; /* a name that outlives the row */
	uint64_t t_ns = (uint64_t)logread_int(c, EV_T_NS);
	int k;

	if (kind && !strcmp(kind, "blk_done"))
		k = STORE_EV_BLK_DONE;
	else if (kind && !strcmp(kind, "console_in"))
		k = STORE_EV_CONSOLE_IN;
	else
		return ev_damaged(r, "an event of unknown kind", seq);
	if (!device)
		return ev_damaged(r, "an event for a device the board does not have", seq);
	r->events++;
	if (r->o->device && strcmp(device, r->o->device)) {
		hostreplay_skip(&r->hr, seq);
		return 0;
	}
	r->fed++;
	hostreplay_begin(&r->hr, seq, t_ns);
	if (k == STORE_EV_BLK_DONE)
		ev_blk_done(r, c, seq, device);
	else
		ev_console_in(r, c, seq);
	hostreplay_end(&r->hr);
	if (r->hr.fatal)
		return ev_damaged(r, logread_errmsg(&r->log), seq);
	return ev_put(r, c, seq, k, device, t_ns);
}

int replay_events(struct replay *r, uint64_t below, uint64_t *prev)
{
	struct log_cur *c = &r->log.c[LT_EVENTS];
	int rc;

	while (c->seq < below && c->seq != LOG_SEQ_END && !r->stopped) {
		uint64_t seq = c->seq;

		if (seq != *prev + 1)
			return ev_damaged(r, "exits and events are not gapless: a seq is missing",
					  *prev + 1);
		*prev = seq;
		r->seq = seq;
		rc = ev_deliver(r, c, seq);
		if (rc)
			return rc;
		if (logread_next(c) < 0)
			return ev_damaged(r, logread_errmsg(&r->log), seq);
	}
	return 0;
}
