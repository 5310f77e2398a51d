package org.jvmm.machine;

/** The mode a raw payload starts in (docs/machine.md, "Entry state"). */
public enum CpuMode {
    /** 16-bit real mode at {@link MemoryMap#REAL_MODE_ENTRY}. */
    REAL,
    /** 64-bit long mode at {@link MemoryMap#LONG_MODE_ENTRY}, the first 4 GiB mapped 1:1. */
    LONG
}
