package org.jvmm.cli.compare;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the init of {@code --workload linux} (linux-init.sh) reported on the serial console: one
 * {@code jvmm-linux: WHAT KEY=VALUE...} line per transfer, {@code jvmm-linux: error ...} lines, and
 * {@code jvmm-linux: done} at the end. Untrusted text from the guest: anything else is ignored.
 *
 * @param transfers by what ("ttyS0", "hvc0", "vda"): the line's key=value fields
 * @param errors    the error lines' text
 * @param done      whether the init got to its end
 * @param tail      the console's last lines, for notes when something went wrong
 */
record InitLog(Map<String, Map<String, String>> transfers, List<String> errors, boolean done, String tail) {

    private static final String PREFIX = "jvmm-linux: ";
    private static final int TAIL_LINES = 6;

    /**
     * Parses the console output.
     *
     * @param console everything the guest wrote to COM1
     * @return what the init reported
     */
    static InitLog parse(byte[] console) {
        Map<String, Map<String, String>> transfers = new LinkedHashMap<>();
        List<String> errors = new ArrayList<>();
        boolean done = false;
        List<String> lines = new String(console, StandardCharsets.ISO_8859_1).lines().map(String::strip).toList();
        for (String line : lines) {
            if (!line.startsWith(PREFIX)) {
                continue;
            }
            String[] words = line.substring(PREFIX.length()).split(" ");
            if (words[0].equals("done")) {
                done = true;
            } else if (words[0].equals("error")) {
                errors.add(line.substring(PREFIX.length() + "error".length()).strip());
            } else {
                Map<String, String> fields = new LinkedHashMap<>();
                for (int i = 1; i < words.length; i++) {
                    int eq = words[i].indexOf('=');
                    if (eq > 0) {
                        fields.put(words[i].substring(0, eq), words[i].substring(eq + 1));
                    }
                }
                transfers.put(words[0], fields);
            }
        }
        List<String> printable = lines.stream().filter(l -> !l.isEmpty() && l.chars().allMatch(c -> c >= 0x20 && c < 0x7f))
                .toList();
        String tail = String.join(" | ", printable.subList(Math.max(0, printable.size() - TAIL_LINES), printable.size()));
        return new InitLog(transfers, errors, done, tail);
    }

    /**
     * A field of a transfer's line.
     *
     * @param what  the transfer
     * @param field the key
     * @return the value, or null
     */
    String field(String what, String field) {
        Map<String, String> fields = transfers.get(what);
        return fields == null ? null : fields.get(field);
    }

    /**
     * The guest's own time for a transfer.
     *
     * @param what the transfer
     * @return milliseconds, or null when the guest did not say or said nonsense
     */
    Double guestMs(String what) {
        String ns = field(what, "guest_ns");
        try {
            return ns == null ? null : Long.parseLong(ns) / 1e6;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
