package org.jvmm.machine;

/** What a machine runs: a raw payload ({@link RawPayload}) or a kernel ({@link KernelBoot}). */
public sealed interface Boot permits RawPayload, KernelBoot {}
