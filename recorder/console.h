/*
 * console.h - console input: the recorder's stdin goes to COM1's receiver,
 * the way QEMU's `-serial stdio` works.
 *
 * A console thread polls stdin and keeps what it read; it offers bytes to
 * the UART only as far as the UART can take them (FIFO room, asked under
 * the dispatch lock), holds the rest and tries again 10 ms later (the guest
 * reads RBR meanwhile), so nothing is dropped.  Each delivered chunk is an
 * event in the global order (events.kind 'console_in', data = the bytes):
 * under the dispatch lock it takes a seq, stamps the live host, gives the
 * bytes to the UART (whose IRQ rows carry the event's seq) and logs the
 * event.  EOF on stdin only stops the input; the guest runs on.  The
 * thread also writes out console output the live host holds back for want
 * of a newline (a shell prompt) every 50 ms.
 *
 * When stdin is a terminal it is put in raw mode (the guest's line
 * discipline does the echo and the editing; Ctrl-C goes to the guest) and
 * Ctrl-A is the escape: `Ctrl-A x` ends the recording (like SIGINT), `Ctrl-A
 * h` prints help on stderr, `Ctrl-A Ctrl-A` sends one Ctrl-A.  The terminal
 * is restored on every way out: console_destroy(), exit(), and the fatal
 * signals (SIGINT/SIGTERM end the run normally and restore it on the way).
 */
#ifndef EXITLOG_CONSOLE_H
#define EXITLOG_CONSOLE_H

#include "devices/board.h"

struct console;
struct hostlive;

/*
 * Set up console input from `fd` (stdin) for `board` through the live host
 * `hl` (nothing is read before console_go).  A terminal goes to raw mode
 * here.  The calling thread is the one `Ctrl-A x` interrupts (SIGINT).
 * Returns 0 and *out, or -errno.
 */
int console_create(struct console **out, int fd, struct hostlive *hl, struct board *board);
/* Start the console thread (hl->dispatch must be set: run_loop calls it).
 * NULL is a no-op.  0 or -errno. */
int console_go(struct console *c);
/* Stop the console thread (bytes not delivered are dropped: the guest is
 * gone).  NULL or a console never started is a no-op. */
void console_halt(struct console *c);
/* Halt, restore the terminal, free.  NULL is a no-op. */
void console_destroy(struct console *c);

#endif
