package org.jvmm.gdb;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.util.List;
import org.jvmm.gdb.rsp.Session;

/**
 * Listens for gdb on a {@link GdbAddress} and serves one client at a time: a client that connects
 * while another is attached is closed at once; when a client detaches or goes away the guest runs
 * on and the next one may attach. Sessions run on a thread of their own; {@link #close()} ends the
 * current one (detaching it) and stops listening.
 */
public final class GdbServer implements AutoCloseable {

    private static final Logger LOG = System.getLogger(GdbServer.class.getName());
    private static final long ACK_TIMEOUT_MILLIS = 30_000;

    private final GdbAddress address;
    private volatile GdbTarget target;
    private volatile List<MonitorCommand> commands = List.of();
    private final ServerSocketChannel server;
    private final String bound;
    private final Thread acceptor;
    private volatile SocketChannel client;
    private volatile Thread session;

    private GdbServer(GdbAddress address, ServerSocketChannel server, String bound) {
        this.address = address;
        this.server = server;
        this.bound = bound;
        this.acceptor = Thread.ofPlatform().daemon().name("gdb-accept").unstarted(this::accept);
    }

    /**
     * Binds the address and starts accepting clients.
     *
     * @param address  where to listen (already checked by {@link GdbAddress#parse})
     * @param target   the machine
     * @param commands the {@code monitor} commands
     * @return the running server
     * @throws IOException with a one-line message naming the address if it cannot be bound (port
     *         in use, the socket path exists)
     */
    public static GdbServer start(GdbAddress address, GdbTarget target, List<MonitorCommand> commands)
            throws IOException {
        GdbServer gdb = bind(address);
        gdb.serve(target, commands);
        return gdb;
    }

    /**
     * Binds the address without accepting clients yet, so a front end can refuse a busy address
     * before it builds the machine; {@link #serve} starts accepting.
     *
     * @param address where to listen (already checked by {@link GdbAddress#parse})
     * @return the bound server
     * @throws IOException with a one-line message naming the address if it cannot be bound (port
     *         in use, the socket path exists)
     */
    public static GdbServer bind(GdbAddress address) throws IOException {
        if (address instanceof GdbAddress.Unix unix && Files.exists(unix.path(), LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("cannot listen on " + address + ": the path exists (remove it if no debugger stub "
                    + "uses it)");
        }
        ServerSocketChannel server = null;
        try {
            if (address instanceof GdbAddress.Unix) {
                server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            } else {
                server = ServerSocketChannel.open();
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            }
            server.bind(address.socketAddress(), 1);
            String bound = address instanceof GdbAddress.Tcp tcp
                    ? new GdbAddress.Tcp(tcp.host(), ((InetSocketAddress) server.getLocalAddress()).getPort()).toString()
                    : address.toString();
            return new GdbServer(address, server, bound);
        } catch (IOException e) {
            if (server != null) {
                server.close();
            }
            throw new IOException("cannot listen on " + address + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts accepting clients of a server from {@link #bind}.
     *
     * @param gdbTarget   the machine
     * @param monitorCommands the {@code monitor} commands
     * @throws IllegalStateException when it serves already
     */
    public synchronized void serve(GdbTarget gdbTarget, List<MonitorCommand> monitorCommands) {
        if (target != null) {
            throw new IllegalStateException("the gdb server serves already");
        }
        this.commands = List.copyOf(monitorCommands);
        this.target = gdbTarget;
        acceptor.start();
    }

    /** {@return the address clients connect to, with the real port when port 0 was asked for} */
    public String boundAddress() {
        return bound;
    }

    private void accept() {
        while (server.isOpen()) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.log(Level.WARNING, "gdb: accept failed on {0}: {1}", bound, e.getMessage());
                return;
            }
            Thread current = session;
            if (current != null && current.isAlive()) {
                LOG.log(Level.INFO, "gdb: refused a second client on {0}: one is attached", bound);
                closeQuietly(channel);
                continue;
            }
            try {
                if (address instanceof GdbAddress.Tcp) {
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
            } catch (IOException e) {
                closeQuietly(channel);
                continue;
            }
            client = channel;
            session = Thread.ofPlatform().daemon().name("gdb-session").start(() -> serve(channel));
        }
    }

    private void serve(SocketChannel channel) {
        LOG.log(Level.DEBUG, "gdb: client attached on {0}", bound);
        try {
            new Session(target, commands, channel, channel, ACK_TIMEOUT_MILLIS).run();
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "gdb: session failed", e);
        } finally {
            closeQuietly(channel);
            client = null;
            LOG.log(Level.DEBUG, "gdb: client detached from {0}", bound);
        }
    }

    private static void closeQuietly(Channel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "gdb: close: {0}", e.getMessage());
        }
    }

    /**
     * Whether a client is attached.
     *
     * @return true while a session runs
     */
    public boolean attached() {
        Thread current = session;
        return current != null && current.isAlive();
    }

    /**
     * Stops listening and ends the current session (which detaches: the guest runs on). Waits up
     * to a minute for the session to finish.
     */
    @Override
    public void close() {
        closeQuietly(server);
        SocketChannel current = client;
        if (current != null) {
            closeQuietly(current);
        }
        try {
            if (acceptor.isAlive()) {
                acceptor.join(10_000);
            }
            Thread running = session;
            if (running != null) {
                running.join(60_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (address instanceof GdbAddress.Unix unix) {
            try {
                Files.deleteIfExists(unix.path());
            } catch (IOException e) {
                LOG.log(Level.DEBUG, "gdb: could not remove {0}: {1}", unix.path(), e.getMessage());
            }
        }
    }
}
