/*
 * console.c - stdin to COM1's receiver, each delivered chunk an event in
 * the global order (see console.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "recorder/console.h"
#include "recorder/hostlive.h"

#define CON_BUF 4096
#define CON_RETRY_MS 10   /* the UART's FIFO was full: ask again after this */
#define CON_FLUSH_MS 50   /* console output without a newline (a prompt) waits no longer */
#define CTRL_A 0x01

struct console {
	int fd;
	struct hostlive *hl;
	struct board *board;
	pthread_t vcpu;           /* interrupted by Ctrl-A x */
	pthread_t thread;
	bool started;
	int wake[2];              /* console_halt() writes here */
	bool tty, esc, eof;
	size_t n;                 /* bytes held, not yet delivered */
	uint8_t buf[CON_BUF];
};

/* The terminal as it was, for every way out (atexit, fatal signals). */
static struct termios con_saved;
static volatile sig_atomic_t con_raw; /* con_saved is valid and raw mode is on */
static int con_fd = -1;

static void con_restore(void)
{
	if (con_raw) {
		tcsetattr(con_fd, TCSANOW, &con_saved);
		con_raw = 0;
	}
}

static void con_fatal(int sig)
{
	con_restore(); /* tcsetattr is async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

static int con_raw_mode(int fd)
{
	static const int fatal[] = { SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	static bool registered;
	struct termios t;

	if (tcgetattr(fd, &con_saved))
		return -errno;
	t = con_saved;
	cfmakeraw(&t);
	t.c_oflag |= OPOST | ONLCR; /* the guest's "\n" still starts a new line */
	con_fd = fd;
	if (!registered) {
		atexit(con_restore);
		for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
			signal(fatal[i], con_fatal);
		registered = true;
	}
	if (tcsetattr(fd, TCSANOW, &t))
		return -errno;
	con_raw = 1;
	return 0;
}

int console_create(struct console **out, int fd, struct hostlive *hl, struct board *board)
{
	struct console *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->hl = hl;
	c->board = board;
	c->vcpu = pthread_self();
	c->wake[0] = c->wake[1] = -1;
	if (pipe2(c->wake, O_CLOEXEC | O_NONBLOCK)) {
		free(c);
		return -errno;
	}
	c->tty = isatty(fd);
	if (c->tty && con_raw_mode(fd))
		c->tty = false; /* not a usable terminal: read it as a stream */
	if (c->tty)
		fprintf(stderr, "exitlog: console on this terminal; Ctrl-A h for help, "
			"Ctrl-A x to quit\r\n");
	*out = c;
	return 0;
}

/* Give the UART what it has room for, as one event. */
static void con_deliver(struct console *c)
{
	struct hostlive *hl = c->hl;
	struct host h = hostlive_host(hl);
	struct rec_event e = {
		.kind = STORE_EV_CONSOLE_IN, .device = BOARD_CONSOLE, .data = c->buf,
	};
	unsigned room;

	dispatch_lock(hl->dispatch);
	room = board_console_room(c->board);
	e.len = (uint32_t)(c->n < room ? c->n : room);
	if (e.len) {
		e.seq = hostlive_event_begin(hl);
		e.t_ns = hl->t_ns;
		board_console_input(c->board, &h, c->buf, e.len);
		hostlive_put_event(hl, &e);
	}
	dispatch_unlock(hl->dispatch);
	memmove(c->buf, c->buf + e.len, c->n - e.len);
	c->n -= e.len;
}

/* One byte typed: the Ctrl-A escape on a terminal, else held for the UART. */
static void con_byte(struct console *c, uint8_t b)
{
	if (c->tty && c->esc) {
		c->esc = false;
		if (b == 'x' || b == 'X') {
			fprintf(stderr, "\r\nexitlog: Ctrl-A x: ending the recording\r\n");
			pthread_kill(c->vcpu, SIGINT);
			return;
		}
		if (b == 'h' || b == 'H') {
			fprintf(stderr, "\r\nexitlog console: Ctrl-A x  end the recording\r\n"
				"                 Ctrl-A h  this help\r\n"
				"                 Ctrl-A Ctrl-A  send Ctrl-A to the guest\r\n");
			return;
		}
		if (b != CTRL_A)
			return;
	} else if (c->tty && b == CTRL_A) {
		c->esc = true;
		return;
	}
	if (c->n < sizeof(c->buf))
		c->buf[c->n++] = b;
}

static void con_read(struct console *c)
{
	uint8_t tmp[512];
	ssize_t r = read(c->fd, tmp, sizeof(c->buf) - c->n < sizeof(tmp)
					 ? sizeof(c->buf) - c->n : sizeof(tmp));

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		c->eof = true; /* EOF (or a dead stdin): input stops, the guest runs on */
		return;
	}
	for (ssize_t i = 0; i < r; i++)
		con_byte(c, tmp[i]);
}

/*
 * The live host writes console output a line at a time; a prompt has no
 * newline and the guest may then wait in the kernel (no exit) for input.
 * So the console thread writes what is pending, under the lock the device
 * calls are made under.
 */
static void con_flush_output(struct console *c)
{
	dispatch_lock(c->hl->dispatch);
	if (c->hl->ncon)
		hostlive_console_flush(c->hl);
	dispatch_unlock(c->hl->dispatch);
}

static void *con_main(void *arg)
{
	struct console *c = arg;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = -1, .events = POLLIN }, { .fd = c->wake[0], .events = POLLIN },
		};
		int timeout = CON_FLUSH_MS;

		con_flush_output(c);
		if (c->n)
			con_deliver(c);
		if (c->n)
			timeout = CON_RETRY_MS;
		if (!c->eof && c->n < sizeof(c->buf))
			p[0].fd = c->fd;
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents)
			con_read(c);
	}
	return NULL;
}

int console_go(struct console *c)
{
	sigset_t all, old;
	int rc;

	if (!c || c->started)
		return 0;
	/* signals stay with the vCPU thread (SIGINT must interrupt KVM_RUN) */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&c->thread, NULL, con_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	c->started = true;
	return 0;
}

void console_halt(struct console *c)
{
	if (!c || !c->started)
		return;
	if (write(c->wake[1], "x", 1) < 0) {
		/* a full pipe already wakes it */
	}
	pthread_join(c->thread, NULL);
	c->started = false;
}

void console_destroy(struct console *c)
{
	if (!c)
		return;
	console_halt(c);
	if (c->tty)
		con_restore();
	close(c->wake[0]);
	close(c->wake[1]);
	free(c);
}
