package org.jvmm.core.boot;

import java.util.Arrays;

/**
 * A boot module to hand a Multiboot kernel, such as the initrd: its bytes and its string, which the
 * kernel reads as the module's command line (boot loaders pass the file name and any arguments).
 *
 * @param data   the module's contents
 * @param string its string: printable ASCII
 */
public record MultibootModule(byte[] data, String string) {

    @Override
    public boolean equals(Object o) {
        return o instanceof MultibootModule m && Arrays.equals(data, m.data) && string.equals(m.string);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data) * 31 + string.hashCode();
    }

    @Override
    public String toString() {
        return "MultibootModule[" + data.length + " bytes, \"" + string + "\"]";
    }
}
