package org.jvmm.core.boot;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The files a boot reads: a kernel, an initrd, Multiboot modules. */
public final class BootFile {

    private BootFile() {}

    /**
     * Maps a file read-only. Its pages come from the page cache as the parser and the copy into guest
     * RAM touch them, and none of it is copied onto the Java heap (a distribution's vmlinux is 50 MB,
     * its initrd as much again).
     *
     * @param file  the file
     * @param arena owner of the mapping; closing it unmaps the file
     * @return the mapped file
     * @throws IOException if the file cannot be opened or mapped
     */
    public static MemorySegment map(Path file, Arena arena) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
        }
    }
}
