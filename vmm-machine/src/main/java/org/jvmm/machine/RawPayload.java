package org.jvmm.machine;

import java.util.Arrays;

/**
 * A flat binary loaded at the entry address of its mode, with workload arguments in the parameter
 * block (docs/machine.md). Every vCPU starts at the entry point at once.
 *
 * @param image the binary; copied
 * @param mode  the mode it starts in
 * @param args  up to {@link MemoryMap#MAX_ARGS} argument words for the parameter block; copied
 */
public record RawPayload(byte[] image, CpuMode mode, long[] args) implements Boot {

    /**
     * Checks and copies.
     *
     * @param image the binary, not empty
     * @param mode  its mode
     * @param args  argument words
     * @throws MachineConfigException when the image is empty or there are too many arguments
     */
    public RawPayload {
        if (image.length == 0) {
            throw new MachineConfigException("the payload is empty");
        }
        if (args.length > MemoryMap.MAX_ARGS) {
            throw new MachineConfigException("a raw payload takes at most " + MemoryMap.MAX_ARGS + " arguments, not " + args.length);
        }
        image = image.clone();
        args = Arrays.copyOf(args, MemoryMap.MAX_ARGS);
        java.util.Objects.requireNonNull(mode, "mode");
    }

    /**
     * A long-mode payload.
     *
     * @param image the binary
     * @param args  argument words
     * @return the boot
     */
    public static RawPayload longMode(byte[] image, long... args) {
        return new RawPayload(image, CpuMode.LONG, args);
    }

    /** {@return a copy of the binary} */
    @Override
    public byte[] image() {
        return image.clone();
    }

    /** {@return a copy of the {@value MemoryMap#MAX_ARGS} argument words} */
    @Override
    public long[] args() {
        return args.clone();
    }

    /** {@return the load and entry address} */
    public long entry() {
        return mode == CpuMode.LONG ? MemoryMap.LONG_MODE_ENTRY : MemoryMap.REAL_MODE_ENTRY;
    }
}
