package org.jvmm.core.boot;

import java.util.List;

/**
 * Where a Multiboot boot put things in guest memory, and how to enter the kernel.
 *
 * @param entry       the kernel's physical entry point
 * @param infoAddress the Multiboot information structure (what EBX holds at entry)
 * @param gdtAddress  the flat GDT loaded at entry (null, code {@link MultibootBoot#CODE_SELECTOR}, data
 *                    {@link MultibootBoot#DATA_SELECTOR})
 * @param infoEnd     the first address after the information block (structure, GDT, memory map, module
 *                    list and strings)
 * @param modules     the modules, in order
 */
public record MultibootLayout(long entry, long infoAddress, long gdtAddress, long infoEnd, List<Module> modules) {

    /**
     * One module as loaded.
     *
     * @param start  its first byte
     * @param end    the first address after it ({@code mod_end})
     * @param string its string
     */
    public record Module(long start, long end, String string) {}

    /**
     * Copies the module list.
     *
     * @param entry       the entry point
     * @param infoAddress the information structure
     * @param gdtAddress  the GDT
     * @param infoEnd     the end of the information block
     * @param modules     the modules
     */
    public MultibootLayout {
        modules = List.copyOf(modules);
    }
}
