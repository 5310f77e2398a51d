package org.jvmm.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jvmm.gdb.testing.FakeTarget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listening on TCP and Unix sockets, one client at a time, reattaching, and the errors of binding. */
class GdbServerTest {

    @TempDir
    Path dir;

    /** Sends a packet and reads the stub's {@code +} and reply, raw. */
    private static String exchange(SocketChannel channel, String payload) throws IOException {
        int sum = 0;
        for (char c : payload.toCharArray()) {
            sum += c;
        }
        channel.write(ByteBuffer.wrap(("$" + payload + "#" + String.format("%02x", sum & 0xff)).getBytes(StandardCharsets.US_ASCII)));
        StringBuilder in = new StringBuilder();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (in.length() < 3 || in.charAt(in.length() - 3) != '#') {
            if (channel.read(one.clear()) < 0) {
                return in + "<closed>";
            }
            in.append((char) one.get(0));
        }
        channel.write(ByteBuffer.wrap(new byte[] {'+'}));
        return in.toString();
    }

    /** {@return what the stub sends for a reply: its acknowledgement, then the framed reply} */
    private static String acked(String reply) {
        return "+" + new String(org.jvmm.gdb.rsp.PacketDecoder.frame(reply), StandardCharsets.US_ASCII);
    }

    /** The peer closed: end of stream, or a reset when it closed with our bytes unread. */
    private static void assertClosed(SocketChannel channel, String message) {
        try {
            assertEquals(-1, channel.read(ByteBuffer.allocate(16)), message);
        } catch (IOException reset) {
            assertEquals("Connection reset", reset.getMessage(), message);
        }
    }

    private static SocketChannel connect(String bound) throws IOException {
        String[] parts = bound.split(":");
        return SocketChannel.open(new InetSocketAddress(parts[1], Integer.parseInt(parts[2])));
    }

    @Test
    void oneClientAtATimeAndAnotherAfterItDetaches() throws Exception {
        FakeTarget target = new FakeTarget(1);
        try (GdbServer server = GdbServer.start(GdbAddress.parse("tcp:127.0.0.1:0", false), target, List.of())) {
            assertTrue(server.boundAddress().matches("tcp:127\\.0\\.0\\.1:[1-9][0-9]*"), server.boundAddress());
            try (SocketChannel first = connect(server.boundAddress())) {
                assertEquals(acked("T05thread:1;"), exchange(first, "?"));
                assertTrue(server.attached());
                try (SocketChannel second = connect(server.boundAddress())) {
                    assertClosed(second, "the second client is closed at once");
                }
                assertEquals(acked("QC1"), exchange(first, "qC"), "the first is still served");
                assertEquals(acked("OK"), exchange(first, "D"));
            }
            for (int i = 0; i < 100 && server.attached(); i++) {
                Thread.sleep(20);
            }
            assertFalse(server.attached());
            try (SocketChannel third = connect(server.boundAddress())) {
                assertEquals(acked("T05thread:1;"), exchange(third, "?"));
            }
        }
        String off = "setGuestDebug 0 " + org.jvmm.core.kvm.GuestDebug.OFF;
        assertEquals(List.of("attach", off, "detach", "attach", off, "detach"), target.calls,
                "each detach switches guest debugging off and lets the guest run");
    }

    @Test
    void aUnixSocketIsServedAndRemovedOnClose() throws Exception {
        Path socket = dir.resolve("gdb.sock");
        FakeTarget target = new FakeTarget(1);
        try (GdbServer server = GdbServer.start(GdbAddress.parse("unix:" + socket, false), target, List.of())) {
            assertEquals("unix:" + socket, server.boundAddress());
            try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                assertEquals(acked("T05thread:1;"), exchange(client, "?"));
                server.close();
                assertClosed(client, "closing the server ends the session");
            }
        }
        assertFalse(Files.exists(socket));
        assertEquals(List.of("attach", "setGuestDebug 0 " + org.jvmm.core.kvm.GuestDebug.OFF, "detach"), target.calls,
                "the guest was left running");
    }

    @Test
    void bindingErrorsNameTheAddress() throws Exception {
        try (ServerSocketChannel taken = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            int port = ((InetSocketAddress) taken.getLocalAddress()).getPort();
            IOException e = assertThrows(IOException.class, () -> GdbServer.start(
                    GdbAddress.parse("tcp:127.0.0.1:" + port, false), new FakeTarget(1), List.of()));
            assertEquals("cannot listen on tcp:127.0.0.1:" + port + ": Address already in use", e.getMessage());
        }
        Path existing = Files.createFile(dir.resolve("taken"));
        IOException e = assertThrows(IOException.class, () -> GdbServer.start(
                GdbAddress.parse("unix:" + existing, false), new FakeTarget(1), List.of()));
        assertEquals("cannot listen on unix:" + existing + ": the path exists (remove it if no debugger stub uses it)",
                e.getMessage());
        Path missingDirectory = dir.resolve("no/such/dir/gdb.sock");
        e = assertThrows(IOException.class, () -> GdbServer.start(
                GdbAddress.parse("unix:" + missingDirectory, false), new FakeTarget(1), List.of()));
        assertTrue(e.getMessage().startsWith("cannot listen on unix:" + missingDirectory + ": "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }
}
