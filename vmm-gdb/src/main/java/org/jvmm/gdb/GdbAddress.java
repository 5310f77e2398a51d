package org.jvmm.gdb;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;

/**
 * Where the stub listens: {@code tcp:HOST:PORT} ({@code tcp:[::1]:PORT} for an IPv6 literal; port
 * 0 picks a free one) or {@code unix:PATH}. A stub controls the guest completely, so a TCP host
 * that is not a loopback address is refused unless remote clients are allowed explicitly.
 */
public sealed interface GdbAddress {

    /**
     * A TCP address.
     *
     * @param host the host as given
     * @param port the port, 0 to 65535
     */
    record Tcp(String host, int port) implements GdbAddress {
        @Override
        public SocketAddress socketAddress() {
            return new InetSocketAddress(host, port);
        }

        @Override
        public String toString() {
            return "tcp:" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * A Unix-domain socket address.
     *
     * @param path the socket's path; it must not exist yet
     */
    record Unix(Path path) implements GdbAddress {
        @Override
        public SocketAddress socketAddress() {
            return UnixDomainSocketAddress.of(path);
        }

        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /** {@return the address to bind} */
    SocketAddress socketAddress();

    /**
     * Parses and checks an address.
     *
     * @param text        {@code tcp:HOST:PORT} or {@code unix:PATH}
     * @param allowRemote whether a TCP host other than a loopback address is allowed
     * @return the address
     * @throws IllegalArgumentException with a one-line message naming the address and what is wrong
     */
    static GdbAddress parse(String text, boolean allowRemote) {
        if (text.startsWith("unix:")) {
            String path = text.substring(5);
            if (path.isEmpty() || path.indexOf('\0') >= 0) {
                throw bad(text, "expected unix:PATH with a path");
            }
            return new Unix(Path.of(path));
        }
        if (!text.startsWith("tcp:")) {
            throw bad(text, "expected tcp:HOST:PORT or unix:PATH");
        }
        String rest = text.substring(4);
        int colon = rest.lastIndexOf(':');
        if (colon <= 0) {
            throw bad(text, "expected tcp:HOST:PORT");
        }
        String host = rest.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw bad(text, "write an IPv6 address in brackets, tcp:[ADDRESS]:PORT");
        }
        if (host.isEmpty()) {
            throw bad(text, "the host is empty");
        }
        int port = port(text, rest.substring(colon + 1));
        InetAddress[] resolved;
        try {
            resolved = InetAddress.getAllByName(host);
        } catch (UnknownHostException | SecurityException e) {
            throw bad(text, "unknown host '" + host + "'");
        }
        if (!allowRemote) {
            for (InetAddress address : resolved) {
                if (!address.isLoopbackAddress()) {
                    throw bad(text, host + " is not a loopback address, and a gdb client controls the guest "
                            + "completely: allow remote clients explicitly to listen there");
                }
            }
        }
        return new Tcp(host, port);
    }

    private static int port(String text, String port) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw bad(text, "the port '" + port + "' is not a number");
        }
        int value = Integer.parseInt(port);
        if (value > 65535) {
            throw bad(text, "the port " + value + " is above 65535");
        }
        return value;
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("gdb address '" + text + "': " + why);
    }
}
