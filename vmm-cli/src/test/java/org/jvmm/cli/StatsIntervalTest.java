package org.jvmm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvmm run --stats-interval} prints live exit rates while the guest runs (real KVM). */
@Tag("kvm")
class StatsIntervalTest {

    /** Real mode: {@code out 0x80, al; jmp back}: port-I/O exits until stopped. */
    static final byte[] OUT_FOREVER = {(byte) 0xe6, (byte) 0x80, (byte) 0xeb, (byte) 0xfc};
    private static final Pattern LIVE_LINE =
            Pattern.compile("\\[ *(\\d+\\.\\d)s\\] exits/s:(?: \\S+ \\d+)* IO (\\d+)(?: \\S+ \\d+)* \\| total (\\d+)");

    @TempDir
    Path tmp;

    @BeforeAll
    static void requireKvm() {
        KvmRequirement.check();
    }

    @Test
    void printsExitRatesWhileTheGuestRuns() throws Exception {
        Path payload = tmp.resolve("out-forever.bin");
        Files.write(payload, OUT_FOREVER);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int status;
        try {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            status = Main.execute("run", "--payload", payload.toString(), "--mode", "real",
                    "--timeout", "3", "--stats-interval", "250ms");
        } finally {
            System.setErr(err);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        assertEquals(1, status, text); // the guest never stops by itself: the timeout ends it
        assertTrue(text.contains("timed out after 3 s"), text);
        List<Matcher> live = text.lines().map(LIVE_LINE::matcher).filter(Matcher::matches).toList();
        assertTrue(!live.isEmpty(), "no live line with IO exits:\n" + text);
        for (Matcher m : live) {
            assertTrue(Long.parseLong(m.group(2)) > 0 && Long.parseLong(m.group(3)) >= Long.parseLong(m.group(2)), m.group());
        }
        double first = Double.parseDouble(live.get(0).group(1));
        assertTrue(first >= 0.2 && first < 3.5, "first line at " + first + " s");
    }
}
