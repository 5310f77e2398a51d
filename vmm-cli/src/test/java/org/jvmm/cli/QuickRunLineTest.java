package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** QuickRunLine reads a run line exactly as picocli does, or leaves it to picocli. */
class QuickRunLineTest {

    @Test
    void knowsEveryOptionOfRunAndWhetherItTakesAValue() {
        Set<String> names = new HashSet<>();
        for (OptionSpec option : new CommandLine(new RunCommand()).getCommandSpec().options()) {
            for (String name : option.names()) {
                names.add(name);
                if (QuickRunLine.PICOCLI_ONLY.contains(name)) {
                    continue;
                }
                boolean flag = option.arity().max() == 0;
                assertTrue(flag ? QuickRunLine.FLAGS.contains(name) : QuickRunLine.VALUED.contains(name),
                        name + (flag ? " is a flag" : " takes a value") + " that QuickRunLine does not know as such");
            }
        }
        Set<String> quick = new HashSet<>(QuickRunLine.VALUED);
        quick.addAll(QuickRunLine.FLAGS);
        quick.addAll(QuickRunLine.PICOCLI_ONLY);
        assertEquals(names, quick, "QuickRunLine's options are run's");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "--payload guests/bin/hello.bin",
        "--payload=a.bin --mem=128M --cpus 4 --timeout 30 --mode real",
        "--kernel vmlinux --initrd initrd.gz --cmdline console=ttyS0,115200 --no-acpi --hide-cx16 --hide-xsave",
        "--payload a.bin --device virtio-rng --device virtio-blk,path=d.img,ro --arg 0=1 --arg 3=0x10",
        "--payload a.bin --serial out=s.txt --exit-stats --stats-json s.json --stats-interval 1s",
        "--payload a.bin --jfr r.jfr --jfr-threshold 0 --no-irqchip --cpu host,+avx,-x2apic",
        "--payload a.bin --gdb tcp:127.0.0.1:1234 --gdb-wait --gdb-allow-remote",
        "--payload a.bin --cpus 0 --timeout 0 --mem 0",
        "--cmdline= --payload a.bin",
    })
    void readsAsPicocliDoes(String line) throws IllegalAccessException {
        String[] args = line.isEmpty() ? new String[0] : line.split(" ");
        RunCommand quick = QuickRunLine.parse(Arrays.asList(args));
        assertNotNull(quick, "QuickRunLine reads '" + line + "'");
        RunCommand picocli = new RunCommand();
        new CommandLine(picocli).parseArgs(args);
        for (Field field : RunCommand.class.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers())) {
                continue;
            }
            field.setAccessible(true);
            assertEquals(field.get(picocli), field.get(quick), field.getName() + " of '" + line + "'");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "--help", "--payload a.bin -h", "-V", "--version",
        "--payload", "--payload a.bin --mem", "--payload a.bin --frob", "--payload a.bin extra", "-- --payload a.bin",
        "--payload a.bin --payload b.bin", "--payload a.bin --exit-stats --exit-stats", "--payload a.bin --no-acpi=true",
        "--payload a.bin --mem -1M", "--payload a.bin --cpus -1", "--payload a.bin --cpus many", "--payload a.bin --cpus 010",
        "--payload a.bin --cpus 0x10", "--payload a.bin --timeout 99999999999999999999", "@args.txt",
        "--payload @a.bin", "--payload=-a.bin",
    })
    void leavesTheRestToPicocli(String line) {
        assertNull(QuickRunLine.parse(List.of(line.split(" "))), "'" + line + "' is picocli's");
    }

    @Test
    void versionIsPicocliVersion() {
        assertEquals(List.of(Main.VERSION),
                List.of(new CommandLine(Main.class, CommandLine.defaultFactory()).getCommandSpec().version()));
    }
}
