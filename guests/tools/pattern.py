#!/usr/bin/env python3
"""The guests' test pattern and FNV-1a 64, for checking what a guest wrote.

  pattern.py check FILE [OFFSET]  exit 0 if FILE is exactly the pattern from OFFSET on
  pattern.py gen N [OFFSET]       write N pattern bytes to stdout
  pattern.py fnv FILE [SKIP [N]]  print FNV-1a 64 of N bytes of FILE from byte SKIP (all by default)
"""
import sys

ALNUM = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
PERIOD = 62 * 64


def pattern(n, offset=0):
    period = bytes(ord("\n") if i % 64 == 63 else ALNUM[(i // 64 + i % 64) % 62] for i in range(PERIOD))
    start = offset % PERIOD
    reps = (start + n) // PERIOD + 1
    return (period * reps)[start:start + n]


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def main(argv):
    if len(argv) >= 3 and argv[1] == "check":
        data = open(argv[2], "rb").read()
        want = pattern(len(data), int(argv[3], 0) if len(argv) > 3 else 0)
        if data == want:
            print(f"ok: {len(data)} bytes match the pattern")
            return 0
        bad = next(i for i in range(len(data)) if data[i] != want[i])
        print(f"MISMATCH at byte {bad} of {len(data)}")
        return 1
    if len(argv) >= 3 and argv[1] == "gen":
        sys.stdout.buffer.write(pattern(int(argv[2], 0), int(argv[3], 0) if len(argv) > 3 else 0))
        return 0
    if len(argv) >= 3 and argv[1] == "fnv":
        data = open(argv[2], "rb").read()
        skip = int(argv[3], 0) if len(argv) > 3 else 0
        n = int(argv[4], 0) if len(argv) > 4 else len(data) - skip
        print(hex(fnv1a64(data[skip:skip + n])))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
