package org.jvmm.core.kvm;

import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.jvmm.core.kvm.abi.KvmLayouts;

/**
 * A view of a vCPU's {@code kvm_run}: the page KVM and the VMM share to describe each exit. Reads go
 * straight to the mapped memory at offsets computed once from the layout, so decoding an exit
 * allocates nothing. Any segment of the right size works, so dispatch can be tested and benchmarked
 * with synthetic exits and no {@code /dev/kvm}.
 *
 * <p>The fields are only meaningful for the exit reason that filled them: {@link #ioPort()} after an
 * {@link ExitReason#IO} exit, and so on.
 */
public final class KvmRun {

    /** KVM_EXIT_IO_IN: the guest reads from the port. */
    public static final int IO_IN = 0;
    /** KVM_EXIT_IO_OUT: the guest writes to the port. */
    public static final int IO_OUT = 1;

    private static final long REQUEST_INTERRUPT_WINDOW = offset("request_interrupt_window");
    private static final long IMMEDIATE_EXIT = offset("immediate_exit");
    private static final long EXIT_REASON = offset("exit_reason");
    private static final long READY_FOR_INTERRUPT = offset("ready_for_interrupt_injection");
    private static final long IF_FLAG = offset("if_flag");
    private static final long IO_DIRECTION = offset("exit", "io", "direction");
    private static final long IO_SIZE = offset("exit", "io", "size");
    private static final long IO_PORT = offset("exit", "io", "port");
    private static final long IO_COUNT = offset("exit", "io", "count");
    private static final long IO_DATA_OFFSET = offset("exit", "io", "data_offset");
    private static final long MMIO_PHYS_ADDR = offset("exit", "mmio", "phys_addr");
    private static final long MMIO_DATA = offset("exit", "mmio", "data");
    private static final long MMIO_LEN = offset("exit", "mmio", "len");
    private static final long MMIO_IS_WRITE = offset("exit", "mmio", "is_write");
    private static final long INTERNAL_SUBERROR = offset("exit", "internal", "suberror");
    private static final long INTERNAL_NDATA = offset("exit", "internal", "ndata");
    private static final long INTERNAL_DATA = offset("exit", "internal", "data");
    private static final long SYSTEM_EVENT_TYPE = offset("exit", "system_event", "type");
    private static final long SYSTEM_EVENT_NDATA = offset("exit", "system_event", "ndata");
    private static final long SYSTEM_EVENT_DATA = offset("exit", "system_event", "data");
    private static final long FAIL_ENTRY_REASON = offset("exit", "fail_entry", "hardware_entry_failure_reason");
    private static final long FAIL_ENTRY_CPU = offset("exit", "fail_entry", "cpu");
    private static final long DEBUG_EXCEPTION = offset("exit", "debug", "arch", "exception");
    private static final long DEBUG_PC = offset("exit", "debug", "arch", "pc");
    private static final long DEBUG_DR6 = offset("exit", "debug", "arch", "dr6");
    private static final long DEBUG_DR7 = offset("exit", "debug", "arch", "dr7");
    private static final long HW_EXIT_REASON = offset("exit", "hw", "hardware_exit_reason");
    private static final long MEMORY_FAULT_FLAGS = memoryFaultOffset("flags");
    private static final long MEMORY_FAULT_GPA = memoryFaultOffset("gpa");
    private static final long MEMORY_FAULT_SIZE = memoryFaultOffset("size");
    private static final int MAX_DATA_WORDS = 16;

    static {
        // ioHeader() reads direction, size, port and count as one aligned little-endian (x86) long.
        if (IO_SIZE != IO_DIRECTION + 1 || IO_PORT != IO_DIRECTION + 2 || IO_COUNT != IO_DIRECTION + 4 || IO_DIRECTION % 8 != 0) {
            throw new AssertionError("struct kvm_run.io is not laid out as ioHeader() reads it");
        }
    }

    private static long memoryFaultOffset(String field) {
        return offset("exit") + KvmLayouts.MEMORY_FAULT_EXIT.byteOffset(PathElement.groupElement(field));
    }

    private static long offset(String... path) {
        PathElement[] elements = new PathElement[path.length];
        for (int i = 0; i < path.length; i++) {
            elements[i] = PathElement.groupElement(path[i]);
        }
        return KvmLayouts.RUN.byteOffset(elements);
    }

    private final MemorySegment run;

    /**
     * Wraps a {@code kvm_run} image.
     *
     * @param run the vCPU's mapping, or any segment at least {@code sizeof(struct kvm_run)} long
     */
    public KvmRun(MemorySegment run) {
        if (run.byteSize() < KvmLayouts.RUN.byteSize()) {
            throw new IllegalArgumentException("kvm_run needs " + KvmLayouts.RUN.byteSize() + " bytes, got " + run.byteSize());
        }
        this.run = run;
    }

    /** {@return the underlying memory} */
    public MemorySegment segment() {
        return run;
    }

    /** {@return the raw exit reason code} */
    public int exitReasonCode() {
        return run.get(ValueLayout.JAVA_INT, EXIT_REASON);
    }

    /** {@return the decoded exit reason} */
    public ExitReason exitReason() {
        return ExitReason.of(exitReasonCode());
    }

    /**
     * Sets the exit reason (synthetic exits in tests and benchmarks).
     *
     * @param code the raw code
     */
    public void setExitReason(int code) {
        run.set(ValueLayout.JAVA_INT, EXIT_REASON, code);
    }

    /**
     * Sets {@code immediate_exit}: while it is 1, {@code KVM_RUN} returns EINTR at once.
     *
     * @param value true to make the next run return at once
     */
    public void setImmediateExit(boolean value) {
        run.set(ValueLayout.JAVA_BYTE, IMMEDIATE_EXIT, (byte) (value ? 1 : 0));
    }

    /** {@return whether {@code immediate_exit} is set} */
    public boolean immediateExit() {
        return run.get(ValueLayout.JAVA_BYTE, IMMEDIATE_EXIT) != 0;
    }

    /**
     * Asks KVM to exit as soon as the guest can take an interrupt.
     *
     * @param value true to request
     */
    public void setRequestInterruptWindow(boolean value) {
        run.set(ValueLayout.JAVA_BYTE, REQUEST_INTERRUPT_WINDOW, (byte) (value ? 1 : 0));
    }

    /** {@return whether an interrupt can be injected now (no in-kernel irqchip)} */
    public boolean readyForInterruptInjection() {
        return run.get(ValueLayout.JAVA_BYTE, READY_FOR_INTERRUPT) != 0;
    }

    /** {@return the guest's RFLAGS.IF at the exit} */
    public boolean interruptFlag() {
        return run.get(ValueLayout.JAVA_BYTE, IF_FLAG) != 0;
    }

    /** {@return IO: {@link #IO_IN} or {@link #IO_OUT}} */
    public int ioDirection() {
        return Byte.toUnsignedInt(run.get(ValueLayout.JAVA_BYTE, IO_DIRECTION));
    }

    /** {@return IO: bytes per access, 1, 2 or 4} */
    public int ioSize() {
        return Byte.toUnsignedInt(run.get(ValueLayout.JAVA_BYTE, IO_SIZE));
    }

    /** {@return IO: the port} */
    public int ioPort() {
        return Short.toUnsignedInt(run.get(ValueLayout.JAVA_SHORT, IO_PORT));
    }

    /** {@return IO: number of accesses (more than 1 for a string instruction)} */
    public int ioCount() {
        return run.get(ValueLayout.JAVA_INT, IO_COUNT);
    }

    /** {@return IO: offset of the data from the start of {@code kvm_run}} */
    public long ioDataOffset() {
        return run.get(ValueLayout.JAVA_LONG, IO_DATA_OFFSET);
    }

    /**
     * IO: direction, size, port and count in one read of {@code kvm_run} (the first 8 bytes of its
     * {@code io} struct), for a dispatcher that decodes an exit once: each read of the mapped page is
     * a chain of calls under C1, the launcher's JIT. Take it apart with {@link #ioDirection(long)},
     * {@link #ioSize(long)}, {@link #ioPort(long)} and {@link #ioCount(long)}.
     *
     * @return the packed header
     */
    public long ioHeader() {
        return run.get(ValueLayout.JAVA_LONG, IO_DIRECTION);
    }

    /**
     * {@return {@link #IO_IN} or {@link #IO_OUT}}
     *
     * @param header an {@link #ioHeader()}
     */
    public static int ioDirection(long header) {
        return (int) header & 0xff;
    }

    /**
     * {@return bytes per access}
     *
     * @param header an {@link #ioHeader()}
     */
    public static int ioSize(long header) {
        return (int) (header >>> 8) & 0xff;
    }

    /**
     * {@return the port}
     *
     * @param header an {@link #ioHeader()}
     */
    public static int ioPort(long header) {
        return (int) (header >>> 16) & 0xffff;
    }

    /**
     * {@return the number of accesses}
     *
     * @param header an {@link #ioHeader()}
     */
    public static int ioCount(long header) {
        return (int) (header >>> 32);
    }

    /**
     * IO: the value of access {@code index} (an OUT's data).
     *
     * @param index 0 to {@code ioCount() - 1}
     * @return the value, zero-extended
     */
    public long ioValue(int index) {
        return ioValue(ioHeader(), index);
    }

    /**
     * IO: the value of access {@code index}, the exit's header already read.
     *
     * @param header this exit's {@link #ioHeader()}
     * @param index  0 to {@code ioCount(header) - 1}
     * @return the value, zero-extended
     */
    public long ioValue(long header, int index) {
        int size = ioSize(header);
        long at = ioDataOffset() + (long) index * size;
        return switch (size) {
            case 1 -> Byte.toUnsignedLong(run.get(ValueLayout.JAVA_BYTE, at));
            case 2 -> Short.toUnsignedLong(run.get(ValueLayout.JAVA_SHORT_UNALIGNED, at));
            default -> Integer.toUnsignedLong(run.get(ValueLayout.JAVA_INT_UNALIGNED, at));
        };
    }

    /**
     * IO: sets the value of access {@code index} (an IN's answer).
     *
     * @param index 0 to {@code ioCount() - 1}
     * @param value the value; the low {@code ioSize()} bytes are used
     */
    public void setIoValue(int index, long value) {
        setIoValue(ioHeader(), index, value);
    }

    /**
     * IO: sets the value of access {@code index}, the exit's header already read.
     *
     * @param header this exit's {@link #ioHeader()}
     * @param index  0 to {@code ioCount(header) - 1}
     * @param value  the value; the low {@code ioSize(header)} bytes are used
     */
    public void setIoValue(long header, int index, long value) {
        int size = ioSize(header);
        long at = ioDataOffset() + (long) index * size;
        switch (size) {
            case 1 -> run.set(ValueLayout.JAVA_BYTE, at, (byte) value);
            case 2 -> run.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, (short) value);
            default -> run.set(ValueLayout.JAVA_INT_UNALIGNED, at, (int) value);
        }
    }

    /**
     * Fills an IO exit (synthetic exits in tests and benchmarks).
     *
     * @param direction  {@link #IO_IN} or {@link #IO_OUT}
     * @param size       bytes per access
     * @param port       the port
     * @param count      number of accesses
     * @param dataOffset offset of the data inside the segment
     */
    public void setIo(int direction, int size, int port, int count, long dataOffset) {
        run.set(ValueLayout.JAVA_BYTE, IO_DIRECTION, (byte) direction);
        run.set(ValueLayout.JAVA_BYTE, IO_SIZE, (byte) size);
        run.set(ValueLayout.JAVA_SHORT, IO_PORT, (short) port);
        run.set(ValueLayout.JAVA_INT, IO_COUNT, count);
        run.set(ValueLayout.JAVA_LONG, IO_DATA_OFFSET, dataOffset);
    }

    /** {@return MMIO: the guest-physical address} */
    public long mmioAddress() {
        return run.get(ValueLayout.JAVA_LONG, MMIO_PHYS_ADDR);
    }

    /** {@return MMIO: access size in bytes, 1 to 8} */
    public int mmioLength() {
        return run.get(ValueLayout.JAVA_INT, MMIO_LEN);
    }

    /** {@return MMIO: true for a write} */
    public boolean mmioIsWrite() {
        return run.get(ValueLayout.JAVA_BYTE, MMIO_IS_WRITE) != 0;
    }

    /** {@return MMIO: the written value, zero-extended from {@link #mmioLength()} bytes} */
    public long mmioData() {
        long raw = run.get(ValueLayout.JAVA_LONG_UNALIGNED, MMIO_DATA);
        int length = mmioLength();
        return length >= 8 || length <= 0 ? raw : raw & ((1L << (length * 8)) - 1);
    }

    /**
     * MMIO: the value a read returns to the guest.
     *
     * @param value the value; the low {@link #mmioLength()} bytes are used
     */
    public void setMmioData(long value) {
        run.set(ValueLayout.JAVA_LONG_UNALIGNED, MMIO_DATA, value);
    }

    /**
     * Fills an MMIO exit (synthetic exits in tests and benchmarks).
     *
     * @param address guest-physical address
     * @param length  access size
     * @param isWrite true for a write
     * @param data    the written value
     */
    public void setMmio(long address, int length, boolean isWrite, long data) {
        run.set(ValueLayout.JAVA_LONG, MMIO_PHYS_ADDR, address);
        run.set(ValueLayout.JAVA_INT, MMIO_LEN, length);
        run.set(ValueLayout.JAVA_BYTE, MMIO_IS_WRITE, (byte) (isWrite ? 1 : 0));
        run.set(ValueLayout.JAVA_LONG_UNALIGNED, MMIO_DATA, data);
    }

    /** {@return INTERNAL_ERROR: the suberror (1 = emulation failure)} */
    public int internalSuberror() {
        return run.get(ValueLayout.JAVA_INT, INTERNAL_SUBERROR);
    }

    /** {@return INTERNAL_ERROR: the data words KVM filled, at most 16} */
    public long[] internalData() {
        int n = Math.min(Math.max(run.get(ValueLayout.JAVA_INT, INTERNAL_NDATA), 0), MAX_DATA_WORDS);
        return run.asSlice(INTERNAL_DATA, 8L * n).toArray(ValueLayout.JAVA_LONG);
    }

    /** {@return SYSTEM_EVENT: the type (1 shutdown, 2 reset, 3 crash, ...)} */
    public int systemEventType() {
        return run.get(ValueLayout.JAVA_INT, SYSTEM_EVENT_TYPE);
    }

    /** {@return SYSTEM_EVENT: the data words, at most 16} */
    public long[] systemEventData() {
        int n = Math.min(Math.max(run.get(ValueLayout.JAVA_INT, SYSTEM_EVENT_NDATA), 0), MAX_DATA_WORDS);
        return run.asSlice(SYSTEM_EVENT_DATA, 8L * n).toArray(ValueLayout.JAVA_LONG);
    }

    /** {@return FAIL_ENTRY: the hardware entry failure reason} */
    public long failEntryReason() {
        return run.get(ValueLayout.JAVA_LONG, FAIL_ENTRY_REASON);
    }

    /** {@return FAIL_ENTRY: the physical CPU} */
    public int failEntryCpu() {
        return run.get(ValueLayout.JAVA_INT, FAIL_ENTRY_CPU);
    }

    /** {@return DEBUG: the exception vector (1 = #DB)} */
    public int debugException() {
        return run.get(ValueLayout.JAVA_INT, DEBUG_EXCEPTION);
    }

    /** {@return DEBUG: the guest rip} */
    public long debugPc() {
        return run.get(ValueLayout.JAVA_LONG, DEBUG_PC);
    }

    /** {@return DEBUG: DR6} */
    public long debugDr6() {
        return run.get(ValueLayout.JAVA_LONG, DEBUG_DR6);
    }

    /** {@return DEBUG: DR7} */
    public long debugDr7() {
        return run.get(ValueLayout.JAVA_LONG, DEBUG_DR7);
    }

    /** {@return UNKNOWN: the hardware exit reason} */
    public long hardwareExitReason() {
        return run.get(ValueLayout.JAVA_LONG, HW_EXIT_REASON);
    }

    /** {@return MEMORY_FAULT: its flags (bit 3, KVM_MEMORY_EXIT_FLAG_PRIVATE: a private-memory access)} */
    public long memoryFaultFlags() {
        return run.get(ValueLayout.JAVA_LONG, MEMORY_FAULT_FLAGS);
    }

    /** {@return MEMORY_FAULT: the guest-physical address KVM could not map} */
    public long memoryFaultAddress() {
        return run.get(ValueLayout.JAVA_LONG, MEMORY_FAULT_GPA);
    }

    /** {@return MEMORY_FAULT: the size of the faulting range} */
    public long memoryFaultSize() {
        return run.get(ValueLayout.JAVA_LONG, MEMORY_FAULT_SIZE);
    }
}
