package org.jvmm.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The address forms of {@code --gdb}, and the one-line errors for the bad ones. */
class GdbAddressTest {

    private static String error(String text, boolean allowRemote) {
        return assertThrows(IllegalArgumentException.class, () -> GdbAddress.parse(text, allowRemote)).getMessage();
    }

    @Test
    void tcpAndUnixAddresses() {
        assertEquals(new GdbAddress.Tcp("127.0.0.1", 1234), GdbAddress.parse("tcp:127.0.0.1:1234", false));
        assertEquals(new GdbAddress.Tcp("localhost", 0), GdbAddress.parse("tcp:localhost:0", false));
        assertEquals(new GdbAddress.Tcp("::1", 65535), GdbAddress.parse("tcp:[::1]:65535", false));
        assertEquals("tcp:[::1]:65535", GdbAddress.parse("tcp:[::1]:65535", false).toString());
        assertEquals(new GdbAddress.Unix(Path.of("/tmp/jvmm.gdb")), GdbAddress.parse("unix:/tmp/jvmm.gdb", false));
        assertEquals(new GdbAddress.Tcp("0.0.0.0", 1234), GdbAddress.parse("tcp:0.0.0.0:1234", true));
    }

    @Test
    void badFormsAreOneLine() {
        assertEquals("gdb address '1234': expected tcp:HOST:PORT or unix:PATH", error("1234", false));
        assertEquals("gdb address 'udp:127.0.0.1:1': expected tcp:HOST:PORT or unix:PATH", error("udp:127.0.0.1:1", false));
        assertEquals("gdb address 'tcp:1234': expected tcp:HOST:PORT", error("tcp:1234", false));
        assertEquals("gdb address 'tcp::1234': expected tcp:HOST:PORT", error("tcp::1234", false));
        assertEquals("gdb address 'tcp:[]:1234': the host is empty", error("tcp:[]:1234", false));
        assertEquals("gdb address 'tcp:127.0.0.1:': the port '' is not a number", error("tcp:127.0.0.1:", false));
        assertEquals("gdb address 'tcp:127.0.0.1:12ab': the port '12ab' is not a number", error("tcp:127.0.0.1:12ab", false));
        assertEquals("gdb address 'tcp:127.0.0.1:-1': the port '-1' is not a number", error("tcp:127.0.0.1:-1", false));
        assertEquals("gdb address 'tcp:127.0.0.1:65536': the port 65536 is above 65535", error("tcp:127.0.0.1:65536", false));
        assertEquals("gdb address 'tcp:::1:1234': write an IPv6 address in brackets, tcp:[ADDRESS]:PORT",
                error("tcp:::1:1234", false));
        assertEquals("gdb address 'unix:': expected unix:PATH with a path", error("unix:", false));
    }

    @Test
    void aHostOtherThanLoopbackNeedsRemoteClientsAllowed() {
        assertEquals("gdb address 'tcp:0.0.0.0:1234': 0.0.0.0 is not a loopback address, and a gdb client controls the "
                + "guest completely: allow remote clients explicitly to listen there", error("tcp:0.0.0.0:1234", false));
        assertEquals("gdb address 'tcp:[::]:1234': :: is not a loopback address, and a gdb client controls the guest "
                + "completely: allow remote clients explicitly to listen there", error("tcp:[::]:1234", false));
        assertEquals("gdb address 'tcp:10.1.2.3:1': 10.1.2.3 is not a loopback address, and a gdb client controls the "
                + "guest completely: allow remote clients explicitly to listen there", error("tcp:10.1.2.3:1", false));
    }
}
