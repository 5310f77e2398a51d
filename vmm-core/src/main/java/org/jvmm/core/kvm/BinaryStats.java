package org.jvmm.core.kvm;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.jvmm.core.sys.CallState;
import org.jvmm.core.sys.Libc;

/**
 * KVM's binary statistics for a VM or a vCPU ({@code KVM_GET_STATS_FD}): the descriptors are read
 * once; {@link #read(long[])} then reads every value with one {@code pread} into a preallocated
 * buffer, so sampling allocates nothing.
 */
public final class BinaryStats implements AutoCloseable {

    private static final int TYPE_SHIFT = 0;
    private static final int UNIT_SHIFT = 4;
    private static final int BASE_SHIFT = 8;
    private static final int FIELD_MASK = 0xf;

    private final OwnedFd fd;
    private final Arena arena = Arena.ofShared();
    private final List<StatDescriptor> descriptors;
    private final long dataOffset;
    private final MemorySegment data;

    BinaryStats(OwnedFd fd) {
        this.fd = fd;
        try {
            CallState state = CallState.current();
            MemorySegment header = arena.allocate(24, 8);
            readFully(state, header, 0, "read kvm_stats_header");
            int nameSize = header.get(ValueLayout.JAVA_INT, 4);
            int count = header.get(ValueLayout.JAVA_INT, 8);
            long descOffset = Integer.toUnsignedLong(header.get(ValueLayout.JAVA_INT, 16));
            this.dataOffset = Integer.toUnsignedLong(header.get(ValueLayout.JAVA_INT, 20));
            long descSize = 16L + nameSize;
            MemorySegment descs = arena.allocate(descSize * count, 8);
            readFully(state, descs, descOffset, "read kvm_stats_desc");
            List<StatDescriptor> list = new ArrayList<>(count);
            int dataWords = 0;
            for (int i = 0; i < count; i++) {
                MemorySegment d = descs.asSlice(i * descSize, descSize);
                int flags = d.get(ValueLayout.JAVA_INT, 0);
                int size = Short.toUnsignedInt(d.get(ValueLayout.JAVA_SHORT, 6));
                int offset = d.get(ValueLayout.JAVA_INT, 8);
                String name = d.asSlice(16, nameSize).getString(0);
                list.add(new StatDescriptor(name, (flags >>> TYPE_SHIFT) & FIELD_MASK, (flags >>> UNIT_SHIFT) & FIELD_MASK,
                        (flags >>> BASE_SHIFT) & FIELD_MASK, d.get(ValueLayout.JAVA_SHORT, 4), size, offset));
                dataWords = Math.max(dataWords, offset / 8 + size);
            }
            this.descriptors = List.copyOf(list);
            this.data = arena.allocate(8L * Math.max(dataWords, 1), 8);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void readFully(CallState state, MemorySegment into, long offset, String operation) {
        long done = 0;
        while (done < into.byteSize()) {
            long n = state.checkSystem(Libc.pread(state, fd.get(), into.asSlice(done), into.byteSize() - done, offset + done), operation);
            if (n == 0) {
                throw new SystemCallException(operation, "short read from the stats fd");
            }
            done += n;
        }
    }

    /** {@return the counters KVM describes, in descriptor order} */
    public List<StatDescriptor> descriptors() {
        return descriptors;
    }

    /**
     * Reads every counter. A histogram's value is the sum of its buckets.
     *
     * @param values one slot per descriptor
     */
    public void read(long[] values) {
        CallState state = CallState.current();
        readFully(state, data, dataOffset, "read kvm stats data");
        for (int i = 0; i < descriptors.size() && i < values.length; i++) {
            StatDescriptor d = descriptors.get(i);
            long sum = 0;
            for (int w = 0; w < d.size(); w++) {
                sum += data.get(ValueLayout.JAVA_LONG, d.offset() + 8L * w);
            }
            values[i] = sum;
        }
    }

    /**
     * Finds a counter by name.
     *
     * @param name the name
     * @return its index in {@link #descriptors()}, or -1
     */
    public int indexOf(String name) {
        for (int i = 0; i < descriptors.size(); i++) {
            if (descriptors.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** Closes the fd. Calling it again does nothing. */
    @Override
    public void close() {
        fd.close();
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }
}
