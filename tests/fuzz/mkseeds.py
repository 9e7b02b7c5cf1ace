#!/usr/bin/env python3
"""mkseeds.py - write the hand-made seeds of tests/fuzz/seeds/ (the format of
analyzer/fuzzseed.h): a virtio-blk driver bring-up with read, write and flush
requests and a bad descriptor chain; a PCI bus scan; a CMOS dump; a modern
virtio-pci bring-up (MMIO) whose requests complete in chosen orders, also
after a device reset, and the legacy device of that board with completions;
the ACPI PM1a registers and the S5 power-off.  Seeds from recordings come
from `exitlog export --fuzz-seed DB -o tests/fuzz/seeds`.
Usage: python3 tests/fuzz/mkseeds.py  (from the project root)"""
import os
import struct

IO, POKE, RESET, TIME, RX, MMIO, DONE = 0, 1, 2, 3, 4, 5, 6
RAW, WR, REP = 0xFF, 0x04, 0x08
LOG2 = {1: 0, 2: 1, 4: 2, 8: 3}


def io(port, size, value=None):
    flags = LOG2[size] | (WR if value is not None else 0)
    b = bytes([IO, RAW, flags]) + struct.pack('<H', port)
    if value is not None:
        b += value.to_bytes(size, 'little')
    return b


def mmio(gpa, size, value=None):
    flags = LOG2[size] | (WR if value is not None else 0)
    b = bytes([MMIO, RAW, flags]) + struct.pack('<I', gpa)
    if value is not None:
        b += value.to_bytes(size, 'little')
    return b


def done(sel):
    """complete the sel-th request in flight (oldest first)"""
    return bytes([DONE, sel])


def poke(gpa, data):
    out = b''
    for o in range(0, len(data), 256):
        chunk = data[o:o + 256]
        out += bytes([POKE]) + struct.pack('<I', gpa + o) + bytes([len(chunk) - 1]) + chunk
    return out


def vblk(reqs, bad=False):
    base, pfn = 0xC000, 0x10
    desc, avail = pfn * 4096, pfn * 4096 + 4096
    s = io(base + 0x12, 1, 0) + io(base + 0x12, 1, 1) + io(base + 0x12, 1, 3)
    s += io(base + 0x00, 4) + io(base + 0x04, 4, 0x200) + io(base + 0x0E, 2, 0)
    s += io(base + 0x0C, 2) + io(base + 0x08, 4, pfn) + io(base + 0x12, 1, 7)
    for i, (typ, sector, n) in enumerate(reqs):
        hdr, data, st = 0x20000 + i * 0x100, 0x30000 + i * 0x2000, 0x28000 + i
        d0 = 3 * i
        chain = [(hdr, 16, 1, d0 + 1)]
        if n:
            chain.append((data, 512 * n, 1 | (2 if typ == 0 else 0), d0 + 2))
        chain.append((st, 1, 2, 0))
        if bad:  # a loop: the last descriptor points back at the first
            chain[-1] = (st, 1, 3, d0)
        for k, (addr, ln, fl, nxt) in enumerate(chain):
            s += poke(desc + 16 * (d0 + k), struct.pack('<QIHH', addr, ln, fl, nxt))
        s += poke(hdr, struct.pack('<IIQ', typ, 0, sector))
        s += poke(avail + 4 + 2 * i, struct.pack('<H', d0))
        s += poke(avail, struct.pack('<HH', 0, i + 1))
        s += io(base + 0x10, 2, 0) + io(base + 0x13, 1)
    return s


def chain_pokes(desc, avail, i, d0, typ, sector, n, slot=None):
    """request i as descriptors d0.. (header, data, status), its header, its
    avail ring entry and avail->idx = slot + 1"""
    hdr, data, st = 0x20000 + i * 0x100, 0x30000 + i * 0x2000, 0x28000 + i
    chain = [(hdr, 16, 1, d0 + 1)]
    if n:
        chain.append((data, 512 * n, 1 | (2 if typ in (0, 8) else 0), d0 + 2))
    chain.append((st, 1, 2, 0))
    s = b''
    for k, (addr, ln, fl, nxt) in enumerate(chain):
        s += poke(desc + 16 * (d0 + k), struct.pack('<QIHH', addr, ln, fl, nxt))
    s += poke(hdr, struct.pack('<IIQ', typ, 0, sector))
    slot = i if slot is None else slot
    s += poke(avail + 4 + 2 * (slot % 16), struct.pack('<H', d0))
    s += poke(avail, struct.pack('<HH', 0, slot + 1))
    return s


BAR0 = 0xFE000000
MDESC, MAVAIL, MUSED = 0x10000, 0x11000, 0x12000


def modern_up(qsize=16):
    """modern virtio-pci bring-up (virtio 1.x 3.1.1) through the MMIO BAR"""
    st = BAR0 + 0x14
    s = mmio(st, 1, 0) + mmio(st, 1, 1) + mmio(st, 1, 3)
    s += mmio(BAR0 + 0x00, 4, 0) + mmio(BAR0 + 0x04, 4) + mmio(BAR0 + 0x00, 4, 1)
    s += mmio(BAR0 + 0x04, 4)
    s += mmio(BAR0 + 0x08, 4, 0) + mmio(BAR0 + 0x0C, 4, 0x206)
    s += mmio(BAR0 + 0x08, 4, 1) + mmio(BAR0 + 0x0C, 4, 1)
    s += mmio(st, 1, 0xB) + mmio(st, 1)
    s += mmio(BAR0 + 0x16, 2, 0) + mmio(BAR0 + 0x18, 2) + mmio(BAR0 + 0x18, 2, qsize)
    s += mmio(BAR0 + 0x20, 8, MDESC) + mmio(BAR0 + 0x28, 4, MAVAIL)
    s += mmio(BAR0 + 0x2C, 4, 0) + mmio(BAR0 + 0x30, 8, MUSED)
    s += mmio(BAR0 + 0x1C, 2, 1) + mmio(st, 1, 0xF)
    return s


def modern(reqs, order, reset_after=False):
    """requests (type, sector, n) made available together and notified once,
    completed in `order` (indexes into the requests in flight at each step);
    with reset_after, the driver resets the device before completing them
    and brings it up again for one more read"""
    s = modern_up()
    for i, (typ, sector, n) in enumerate(reqs):
        s += chain_pokes(MDESC, MAVAIL, i, 3 * i, typ, sector, n)
    s += mmio(BAR0 + 0x50, 2, 0)
    if reset_after:
        s += mmio(BAR0 + 0x14, 1, 0) + bytes([RESET])
    for sel in order:
        s += done(sel) + mmio(BAR0 + 0x40, 1)
    if reset_after:
        s += modern_up(8) + chain_pokes(MDESC, MAVAIL, 0, 0, 0, 3, 1)
        s += mmio(BAR0 + 0x50, 2, 0) + done(0) + mmio(BAR0 + 0x40, 1)
        s += done(RAW) + bytes([0]) + done(RAW) + bytes([2])  # duplicate tag, to com1
    return s


def legacy_async():
    """the legacy device next to the modern one (IO BAR 0xc040): with the
    asynchronous host its requests complete at DONE ops too"""
    base, pfn = 0xC040, 0x40
    desc, avail = pfn * 4096, pfn * 4096 + 4096
    s = io(base + 0x12, 1, 0) + io(base + 0x12, 1, 3) + io(base + 0x08, 4, pfn)
    s += io(base + 0x12, 1, 7)
    for i, (typ, sector, n) in enumerate([(1, 60, 2), (0, 62, 2), (0, 63, 2)]):
        s += chain_pokes(desc, avail, i, 3 * i, typ, sector, n)
    s += io(base + 0x10, 2, 0) + done(1) + done(0) + io(base + 0x13, 1)
    s += io(base + 0x08, 4, 0) + done(0)  # queue taken down with one in flight
    return s


def acpi():
    s = b''
    for reg in (0, 2, 4):
        s += io(0x600 + reg, 2) + io(0x600 + reg, 1) + io(0x601 + reg, 1)
    s += io(0x602, 2, 0x0121) + io(0x602, 2) + io(0x600, 2, 0xFFFF)
    s += io(0x604, 2, 3 << 10) + io(0x604, 2, (3 << 10) | 0x2000) + io(0x604, 2)
    s += io(0x604, 4) + io(0x603, 2) + io(0x605, 1, 0x20)
    s += io(0x604, 2, (5 << 10) | 0x2001) + io(0x604, 2)  # S5: power-off
    return s


def pci():
    s = b''
    for slot in range(3):
        for reg in range(0, 0x40, 4):
            s += io(0xCF8, 4, 0x80000000 | slot << 11 | reg) + io(0xCFC, 4)
    s += io(0xCF8, 4, 0x80000810) + io(0xCFC, 4, 0xFFFFFFFF) + io(0xCFC, 4)
    s += io(0xCF8, 4, 0x80000804) + io(0xCFC, 2, 0x0005) + io(0xCFE, 2)
    return s


def cmos():
    s = b''
    for reg in range(0x80):
        s += io(0x70, 1, reg) + io(0x71, 1)
    s += io(0x70, 1, 0x0B) + io(0x71, 1, 0x06) + io(0x70, 1, 0x0A) + io(0x71, 1, 0x2F)
    s += bytes([3]) + struct.pack('<H', 5000) + io(0x70, 1, 0x0C) + io(0x71, 1)
    return s


def reader(seed, n):
    """n mutations for the reader target (target_reader.c: kind, column
    selector, row, value), spread over every column by a fixed LCG."""
    x, out = seed, b''
    for _ in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        kind, sel, row = (x >> 8) % 6, (x >> 12) & 0xFF, (x >> 20) % 8
        out += bytes([kind, sel, row])
        if kind <= 2:  # a value: kind byte, then its bytes
            vk = (x >> 4) % 6
            out += bytes([vk]) + (bytes([5]) + bytes(range(5)) if vk in (3, 4)
                                  else bytes([(x >> 16) & 0xFF]))
        elif kind == 5:
            out += bytes([(x >> 16) & 0xFF])
    return out


def write(target, name, data, header=True):
    d = os.path.join('tests/fuzz/seeds', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write((b'\0\0' if header else b'') + data)  # header: no answer bytes


write('vblk', 'hand-read', vblk([(0, 5, 1)]))
write('vblk', 'hand-rw-flush', vblk([(1, 7, 2), (0, 7, 2), (4, 0, 0), (8, 0, 0)]))
write('vblk', 'hand-loop', vblk([(0, 1, 1)], bad=True))
write('pci', 'hand-scan', pci())
write('cmos', 'hand-dump', cmos())
write('vblk_modern', 'hand-rw-reverse',
      modern([(1, 7, 2), (0, 7, 2), (4, 0, 0), (8, 0, 1)], [2, 1, 0]))
write('vblk_modern', 'hand-interleaved', modern([(0, 0, 1), (0, 2047, 1), (0, 2047, 2),
                                                 (1, 100, 8)], [1, 0, 1, 0]))
write('vblk_modern', 'hand-reset-in-flight', modern([(0, 5, 1), (1, 6, 1)], [1, 0],
                                                    reset_after=True))
write('vblk_modern', 'hand-legacy-async', legacy_async())
write('acpi_pm', 'hand-s5', acpi())
for i in range(6):
    write('reader', 'hand-%d' % i, reader(i + 1, 4 + 6 * i), header=False)
