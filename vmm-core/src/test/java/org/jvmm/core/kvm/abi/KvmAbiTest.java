package org.jvmm.core.kvm.abi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.UnionLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compares every struct size, field offset and ioctl number jvmm declares with what gcc computes
 * from the real {@code <linux/kvm.h>}. Generates the C program from the Java layouts, so a field
 * added to a layout is checked without touching this test.
 */
class KvmAbiTest {

    @TempDir
    static Path dir;
    static Map<String, Long> fromC;
    static List<String> checks;

    record Check(String key, String cExpression, long javaValue) {}

    /**
     * Layouts the build machine's headers may not have: kvm_run's memory_fault exit came with Linux
     * 6.8, and Debian 12's linux-libc-dev is 6.1.
     */
    private static final java.util.Set<String> NEWER_THAN_HEADERS = java.util.Set.of("MEMORY_FAULT_EXIT");

    static List<Check> layoutChecks() throws IllegalAccessException {
        List<Check> result = new ArrayList<>();
        for (Field field : KvmLayouts.class.getFields()) {
            if (!Modifier.isStatic(field.getModifiers()) || !(field.get(null) instanceof StructLayout layout)
                    || NEWER_THAN_HEADERS.contains(field.getName())) {
                continue;
            }
            String struct = "struct " + layout.name().orElseThrow();
            result.add(new Check(struct + " size", "sizeof(" + struct + ")", layout.byteSize()));
            walk(layout, struct, "", 0, result);
        }
        return result;
    }

    private static void walk(GroupLayout group, String struct, String prefix, long base, List<Check> out) {
        long offset = 0;
        for (MemoryLayout member : group.memberLayouts()) {
            long at = group instanceof UnionLayout ? 0 : offset;
            if (!(member instanceof PaddingLayout) && member.name().isPresent()) {
                String name = member.name().get();
                // kvm_run's exit union is anonymous in C: its members are named directly.
                String cPath = name.equals("exit") && struct.equals("struct kvm_run") ? "" : prefix + name;
                if (!cPath.isEmpty()) {
                    out.add(new Check(struct + "." + cPath, "offsetof(" + struct + ", " + cPath + ")", base + at));
                }
                if (member instanceof GroupLayout inner) {
                    walk(inner, struct, cPath.isEmpty() ? "" : cPath + ".", base + at, out);
                }
            }
            offset += member.byteSize();
        }
    }

    static List<Check> ioctlChecks() throws IllegalAccessException {
        List<Check> result = new ArrayList<>();
        for (Field field : KvmIoctls.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == long.class) {
                result.add(new Check("KVM_" + field.getName(), "(unsigned long)KVM_" + field.getName(), field.getLong(null)));
            }
        }
        return result;
    }

    @BeforeAll
    static void compileAgainstHeaders() throws Exception {
        boolean ci = "true".equals(System.getenv("CI"));
        boolean haveGcc = Files.isExecutable(Path.of("/usr/bin/gcc")) && Files.exists(Path.of("/usr/include/linux/kvm.h"));
        if (ci && !haveGcc) {
            throw new IllegalStateException("CI=true but gcc or <linux/kvm.h> is missing: the ABI cannot be checked");
        }
        assumeTrue(haveGcc, "gcc and <linux/kvm.h> are needed to check the KVM ABI");
        StringBuilder c = new StringBuilder("#include <stdio.h>\n#include <stddef.h>\n#include <linux/kvm.h>\nint main(void){\n");
        List<Check> all = new ArrayList<>(layoutChecks());
        all.addAll(ioctlChecks());
        for (Check check : all) {
            c.append("printf(\"%s=%lu\\n\", \"").append(check.key()).append("\", (unsigned long)(").append(check.cExpression()).append("));\n");
        }
        c.append("return 0;}\n");
        Path source = dir.resolve("abi.c");
        Files.writeString(source, c);
        run(List.of("gcc", "-o", dir.resolve("abi").toString(), source.toString()));
        fromC = new LinkedHashMap<>();
        for (String line : run(List.of(dir.resolve("abi").toString())).split("\n")) {
            int eq = line.lastIndexOf('=');
            fromC.put(line.substring(0, eq), Long.parseUnsignedLong(line.substring(eq + 1)));
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(command.get(0) + " failed:\n" + output);
        }
        return output;
    }

    @Test
    void everyStructSizeAndOffsetMatchesTheHeaders() throws Exception {
        List<Check> layout = layoutChecks();
        assertFalse(layout.isEmpty());
        for (Check check : layout) {
            assertEquals(fromC.get(check.key()), check.javaValue(), check.key());
        }
    }

    @Test
    void everyIoctlNumberMatchesTheHeaders() throws Exception {
        List<Check> ioctls = ioctlChecks();
        assertFalse(ioctls.size() < 30, "expected the full ioctl table, got " + ioctls.size());
        for (Check check : ioctls) {
            assertEquals(fromC.get(check.key()), check.javaValue(), check.key());
        }
    }
}
