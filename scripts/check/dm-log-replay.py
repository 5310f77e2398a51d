#!/usr/bin/env python3
"""Rebuilds a disk from a dm-log-writes log: what a power cut at a mark leaves, and every write.

Usage: dm-log-replay.py LOG BASE [--cut MARK FILE] [--all FILE]

LOG is the log device's content, BASE the data device's content when the log-writes target was
created (every write since then is in the log).

The log format (Linux drivers/md/dm-log-writes.c): a super block at byte 0 (magic, version, entry
count, sector size), then per entry one sector holding (sector, nr_sectors, flags, data_len) and,
for a mark, its name; then nr_sectors sectors of data, except for a discard. The target logs a
plain write only once a FLUSH that followed its completion has completed, just before that FLUSH's
own entry; a FUA write as soon as it completes; a mark when it is asked for; and at its removal
the writes never flushed, then a mark "dm-log-writes-end".

--cut MARK FILE writes to FILE what a disk with a volatile write cache keeps when it loses power
where MARK was logged: the writes before the last FLUSH entry before MARK (the FLUSH entry's own
data only if it is also FUA: a preflush covers what came before it), and FUA writes before MARK.
Anything else is lost.
--all FILE applies every write and discard in log order: the result must equal the data device,
which checks this reader.

Prints one summary line per FILE; exits 1 when the log is not a dm-log-writes log, MARK is missing
or a write lies outside the disk, 2 on bad usage.
"""
import struct
import sys

MAGIC = 0x6A736677736872
FLUSH, FUA, DISCARD, MARK = 1, 2, 4, 8


def entries(log):
    magic, version, count, sector_size = struct.unpack_from("<QQQI", log, 0)
    if magic != MAGIC or version != 1:
        sys.exit(f"dm-log-replay: not a dm-log-writes log (magic {magic:#x}, version {version})")
    pos = sector_size
    for _ in range(count):
        sector, nr_sectors, flags, data_len = struct.unpack_from("<QQQQ", log, pos)
        name = log[pos + 32:pos + 32 + data_len].decode("ascii", "replace") if flags & MARK else None
        data = pos + sector_size
        pos = data if flags & DISCARD else data + nr_sectors * sector_size
        if pos > len(log):
            sys.exit(f"dm-log-replay: entry at byte {data - sector_size} runs past the end of the log")
        yield sector * sector_size, nr_sectors * sector_size, flags, name, data


def replay(log_entries, log, base, end, last_flush, cut):
    """Applies entries [0, end) to a copy of base; with cut, only the durable ones."""
    disk = bytearray(base)
    applied = lost = 0
    for i in range(end):
        offset, length, flags, name, data = log_entries[i]
        if name is not None or length == 0:
            continue
        if cut and not (i < last_flush or flags & FUA):
            lost += length
            continue
        if offset + length > len(disk):
            sys.exit(f"dm-log-replay: a write of {length} bytes at byte {offset} is past the disk's {len(disk)} bytes")
        disk[offset:offset + length] = bytes(length) if flags & DISCARD else log[data:data + length]
        applied += length
    return disk, applied, lost


def main(argv):
    import argparse
    parser = argparse.ArgumentParser(prog="dm-log-replay.py", description="Rebuilds a disk from a dm-log-writes log.")
    parser.add_argument("log")
    parser.add_argument("base")
    parser.add_argument("--cut", nargs=2, metavar=("MARK", "FILE"))
    parser.add_argument("--all", metavar="FILE")
    args = parser.parse_args(argv[1:])
    if not args.cut and not args.all:
        parser.error("give --cut MARK FILE, --all FILE or both")
    with open(args.log, "rb") as f:
        log = f.read()
    with open(args.base, "rb") as f:
        base = f.read()
    log_entries = list(entries(log))
    jobs = []
    if args.cut:
        mark, out = args.cut
        marks = [i for i, e in enumerate(log_entries) if e[3] == mark]
        if not marks:
            sys.exit(f"dm-log-replay: no mark '{mark}' in the log ({len(log_entries)} entries)")
        jobs.append((f"at mark '{mark}'", marks[0], True, out))
    if args.all:
        jobs.append(("to the end", len(log_entries), False, args.all))
    for where, end, cut, out in jobs:
        flushes = [i for i in range(end) if log_entries[i][2] & FLUSH]
        disk, applied, lost = replay(log_entries, log, base, end, flushes[-1] if flushes else -1, cut)
        with open(out, "wb") as f:
            f.write(disk)
        print(f"dm-log-replay: {where}: {end} of {len(log_entries)} entries, {len(flushes)} flushes, "
              f"{applied} bytes applied" + (f", {lost} bytes written but not flushed (lost)" if cut else ""))


if __name__ == "__main__":
    main(sys.argv)
