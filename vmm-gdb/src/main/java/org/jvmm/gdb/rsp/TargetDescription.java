package org.jvmm.gdb.rsp;

import java.nio.charset.StandardCharsets;

/**
 * target.xml, served through {@code qXfer:features:read}: the architecture {@code i386:x86-64}
 * (so gdb needs no {@code set architecture}) and every {@link GdbRegister}, grouped in features, in
 * gdb's numbering order. gdb checks the {@code org.gnu.gdb.i386.core} feature by register name, so
 * the names are gdb's.
 */
public final class TargetDescription {

    /** The annex gdb asks for first. */
    public static final String ANNEX = "target.xml";

    private static final String EFLAGS_BITS = """
              <flags id="i386_eflags" size="4">
                <field name="CF" start="0" end="0"/>
                <field name="" start="1" end="1"/>
                <field name="PF" start="2" end="2"/>
                <field name="AF" start="4" end="4"/>
                <field name="ZF" start="6" end="6"/>
                <field name="SF" start="7" end="7"/>
                <field name="TF" start="8" end="8"/>
                <field name="IF" start="9" end="9"/>
                <field name="DF" start="10" end="10"/>
                <field name="OF" start="11" end="11"/>
                <field name="NT" start="14" end="14"/>
                <field name="RF" start="16" end="16"/>
                <field name="VM" start="17" end="17"/>
                <field name="AC" start="18" end="18"/>
                <field name="VIF" start="19" end="19"/>
                <field name="VIP" start="20" end="20"/>
                <field name="ID" start="21" end="21"/>
              </flags>
            """;

    private static final byte[] XML = build().getBytes(StandardCharsets.US_ASCII);

    private TargetDescription() {}

    /** {@return the document} */
    public static byte[] xml() {
        return XML.clone();
    }

    static byte[] shared() {
        return XML;
    }

    private static String build() {
        StringBuilder xml = new StringBuilder("""
                <?xml version="1.0"?>
                <!DOCTYPE target SYSTEM "gdb-target.dtd">
                <target version="1.0">
                  <architecture>i386:x86-64</architecture>
                """);
        String open = null;
        for (GdbRegister r : GdbRegister.values()) {
            if (!r.feature().equals(open)) {
                if (open != null) {
                    xml.append("  </feature>\n");
                }
                open = r.feature();
                xml.append("  <feature name=\"").append(open).append("\">\n");
                if (open.equals(GdbRegister.CORE)) {
                    xml.append(EFLAGS_BITS);
                }
            }
            xml.append("    <reg name=\"").append(r.gdbName()).append("\" bitsize=\"").append(r.bits())
                    .append("\" type=\"").append(r.type()).append("\" regnum=\"").append(r.number()).append('"');
            if (r.group() != null) {
                xml.append(" group=\"").append(r.group()).append('"');
            }
            xml.append("/>\n");
        }
        return xml.append("  </feature>\n</target>\n").toString();
    }
}
