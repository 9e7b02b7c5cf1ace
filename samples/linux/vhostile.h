/*
 * vhostile.h - what the phases of the hostile SMP/async guest share
 * (vhostile.c: the requests, the in-flight resets, the final check;
 * vhhammer.c: two vCPUs on one device's registers, malformed requests,
 * one chain made available 512 times).
 */
#ifndef VHOSTILE_H
#define VHOSTILE_H

#include "vhdrv.h"

/* Marks in the recording (pio rows at VH_MARK_PORT), one per phase. */
#define MARK_BASIC   0x76680001u
#define MARK_RESET   0x76680002u
#define MARK_HAMMER  0x76680003u
#define MARK_HAMMER_END 0x76680004u
#define MARK_GARBAGE 0x76680005u
#define MARK_FINAL   0x76680006u
#define MARK_END     0x76680007u
#define MARK_FLOOD   0x76680008u   /* between GARBAGE and FINAL */

#define SECT 512u
#define POISON 0x5a
#define ST_UNTOUCHED 0xaa

extern struct vh_dev dev;
extern int fails;

/* n pages from the pool (the first call maps it); aborts when it is spent. */
struct vh_page *take(unsigned n);
/* The byte pattern of `sector` in generation `gen`. */
void pattern(uint8_t *p, uint64_t sector, unsigned gen);
#define FAIL(...) do { fails++; vh_say("FAIL " __VA_ARGS__); } while (0)

/* Phase 3 and 4 (vhhammer.c). */
void phase_hammer(unsigned ms);
void phase_garbage(void);
void phase_flood(void);

#endif
