#!/usr/bin/env python3
"""mkseeds.py - write the hand-made seeds of tests/fuzz/seeds/ (the format of
analyzer/fuzzseed.h): a virtio-blk driver bring-up with read, write and flush
requests and a bad descriptor chain; a PCI bus scan; a CMOS dump.  Seeds from
recordings come from `exitlog export --fuzz-seed DB -o tests/fuzz/seeds`.
Usage: python3 tests/fuzz/mkseeds.py  (from the project root)"""
import os
import struct

IO, POKE = 0, 1
RAW, WR, REP = 0xFF, 0x04, 0x08
LOG2 = {1: 0, 2: 1, 4: 2}


def io(port, size, value=None):
    flags = LOG2[size] | (WR if value is not None else 0)
    b = bytes([IO, RAW, flags]) + struct.pack('<H', port)
    if value is not None:
        b += value.to_bytes(size, 'little')
    return b


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
for i in range(6):
    write('reader', 'hand-%d' % i, reader(i + 1, 4 + 6 * i), header=False)
