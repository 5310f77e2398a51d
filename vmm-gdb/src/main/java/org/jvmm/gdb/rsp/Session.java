package org.jvmm.gdb.rsp;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jvmm.core.kvm.GuestDebug;
import org.jvmm.gdb.GdbTarget;
import org.jvmm.gdb.MonitorCommand;
import org.jvmm.gdb.StopEvent;

/**
 * One client from attach to detach: the all-stop state machine. Packets, Ctrl-C, the target's
 * stops and the end of the stream all arrive on one queue and are handled on the session's
 * thread, in order:
 * <ul>
 * <li>stopped: each packet goes to the {@link Dispatcher}; a resume applies every vCPU's
 *     guest-debug state (breakpoints, single-step) and lets the target run;
 * <li>running: Ctrl-C asks the target to stop; the target's stop becomes gdb's stop reply. A
 *     debug exit that is the guest's own ({@code int3} or {@code #DB} the stub did not set up) is
 *     handed back to the guest and the run goes on, unseen by gdb. Packets wait for the stop
 *     (gdb sends none while it waits in all-stop mode).
 * </ul>
 * When the client detaches or goes away, every breakpoint is removed ({@code int3} bytes put back),
 * every vCPU's guest-debug state is switched off, the monitor commands forget their state, and the
 * guest runs on.
 */
public final class Session {

    private static final Logger LOG = System.getLogger(Session.class.getName());
    private static final long STOP_TIMEOUT_MILLIS = 60_000;
    private static final String TARGET_FAILED = "E05";

    private sealed interface Event {}

    private record Packet(String payload) implements Event {}

    private record Overlong() implements Event {}

    private record Interrupt() implements Event {}

    private record Closed() implements Event {}

    private record Stop(StopEvent event) implements Event {}

    private final GdbTarget target;
    private final Connection connection;
    private final Monitor monitor;
    private final Breakpoints breakpoints;
    private final Dispatcher dispatcher;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Queue<Event> deferred = new ArrayDeque<>();
    private final GuestDebug[] applied;
    private final boolean[] stepping;
    private BitSet running;
    private boolean interruptSent;
    private boolean exited;

    /**
     * Creates the session over a client's stream.
     *
     * @param target           the machine
     * @param commands         the monitor commands
     * @param in               bytes from the client
     * @param out              bytes to the client
     * @param ackTimeoutMillis how long to wait for the client's acknowledgement of a packet
     */
    public Session(GdbTarget target, List<MonitorCommand> commands, ReadableByteChannel in, WritableByteChannel out,
                   long ackTimeoutMillis) {
        this.target = target;
        this.monitor = new Monitor(commands);
        this.breakpoints = new Breakpoints(target);
        this.dispatcher = new Dispatcher(target, breakpoints, monitor);
        this.applied = new GuestDebug[target.vcpuCount()];
        this.stepping = new boolean[target.vcpuCount()];
        this.connection = new Connection(in, out, new Connection.Listener() {
            @Override
            public void packet(String payload) {
                events.add(new Packet(payload));
            }

            @Override
            public void overlong() {
                events.add(new Overlong());
            }

            @Override
            public void interrupt() {
                events.add(new Interrupt());
            }

            @Override
            public void closed() {
                events.add(new Closed());
            }
        }, ackTimeoutMillis);
    }

    /**
     * Attaches, serves the client until it detaches, kills the machine or goes away, then closes
     * the stream. Returns on this thread; the guest runs on unless killed.
     */
    public void run() {
        StopEvent first = target.attach(event -> events.add(new Stop(event)));
        if (first instanceof StopEvent.Exited x) {
            exit(x);
        } else {
            int vcpu = first instanceof StopEvent.Stopped s ? s.vcpu() : 0;
            dispatcher.stopped(vcpu, "T05thread:" + Hex.of(vcpu + 1) + ";");
        }
        connection.start();
        try {
            serve();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "gdb: client lost: {0}", e.getMessage());
            end();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            end();
        } finally {
            connection.close();
        }
    }

    private void serve() throws IOException, InterruptedException {
        while (true) {
            Event event = running == null && !deferred.isEmpty() ? deferred.poll() : events.take();
            if (running != null) {
                switch (event) {
                    case Interrupt i -> interrupt();
                    case Stop s -> stopped(s.event());
                    case Closed c -> {
                        end();
                        return;
                    }
                    default -> deferred.add(event);
                }
                continue;
            }
            switch (event) {
                case Packet p -> {
                    if (!handle(p.payload())) {
                        return;
                    }
                }
                case Overlong o -> connection.send(Dispatcher.MALFORMED);
                case Closed c -> {
                    end();
                    return;
                }
                case Interrupt i -> { } // already stopped
                case Stop s -> LOG.log(Level.WARNING, "gdb: the target reported a stop while stopped: {0}", s.event());
            }
        }
    }

    /** {@return false once the session is over} */
    private boolean handle(String packet) throws IOException {
        Dispatcher.Reply reply;
        try {
            reply = dispatcher.handle(packet);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "gdb: the target failed on packet " + abbreviate(packet), e);
            connection.send(TARGET_FAILED);
            return true;
        }
        switch (reply) {
            case Dispatcher.Reply.Send send -> {
                for (String payload : send.packets()) {
                    connection.send(payload);
                }
            }
            case Dispatcher.Reply.Resume resume -> resume(resume.actions());
            case Dispatcher.Reply.StartNoAck noAck -> {
                connection.send(Dispatcher.OK);
                connection.stopWaitingForAcks();
            }
            case Dispatcher.Reply.Detach detach -> {
                connection.send(Dispatcher.OK);
                end();
                return false;
            }
            case Dispatcher.Reply.Kill kill -> {
                if (kill.reply()) {
                    connection.send(Dispatcher.OK);
                }
                monitor.detached();
                target.kill();
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String packet) {
        return packet.length() > 40 ? packet.substring(0, 40) + "..." : packet;
    }

    private void resume(int[] actions) throws IOException {
        BitSet run = new BitSet();
        try {
            for (int v = 0; v < actions.length; v++) {
                stepping[v] = actions[v] == Dispatcher.STEP;
                apply(v, breakpoints.state(stepping[v]));
                if (actions[v] != Dispatcher.STAY) {
                    run.set(v);
                }
            }
            if (run.isEmpty()) {
                connection.send(Dispatcher.MALFORMED);
                return;
            }
            interruptSent = false;
            running = run;
            target.resume(run);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "gdb: the target failed to resume", e);
            running = null;
            connection.send(TARGET_FAILED);
        }
    }

    private void apply(int vcpu, GuestDebug debug) {
        if (!debug.equals(applied[vcpu])) {
            target.setGuestDebug(vcpu, debug);
            applied[vcpu] = debug;
        }
    }

    private void interrupt() {
        if (!interruptSent) {
            interruptSent = true;
            target.interrupt();
        }
    }

    private void stopped(StopEvent event) throws IOException {
        switch (event) {
            case StopEvent.Stopped s -> report(s.vcpu(), (interruptSent ? "T02" : "T05") + thread(s.vcpu()), null);
            case StopEvent.Debug d -> debugExit(d);
            case StopEvent.Caught c -> report(c.vcpu(), "T05" + thread(c.vcpu()),
                    "catchpoint " + c.catchpoint() + ": " + c.description());
            case StopEvent.Faulted f -> report(f.vcpu(), "T0b" + thread(f.vcpu()), f.description());
            case StopEvent.Exited x -> {
                running = null;
                exit(x);
                connection.send(String.format("W%02x", x.status() & 0xff));
            }
        }
    }

    private static String thread(int vcpu) {
        return "thread:" + Hex.of(vcpu + 1) + ";";
    }

    private void debugExit(StopEvent.Debug d) throws IOException {
        int v = d.vcpu();
        Breakpoints.Hit hit = breakpoints.classify(d.exit(), stepping[v]);
        String reason = switch (hit.cause()) {
            case SOFTWARE -> "swbreak:;";
            case HARDWARE -> "hwbreak:;";
            case WATCH -> "watch:" + Hex.of(hit.address()) + ";";
            case ACCESS_WATCH -> "awatch:" + Hex.of(hit.address()) + ";";
            case TRAP -> "";
            case GUEST_BREAKPOINT, GUEST_DEBUG -> null;
        };
        if (reason != null) {
            report(v, "T05" + thread(v) + reason, null);
            return;
        }
        // The guest's own int3 or #DB: KVM took it because we debug; give it back to the guest.
        int inject = hit.cause() == Breakpoints.Cause.GUEST_BREAKPOINT ? GuestDebug.INJECT_BP : GuestDebug.INJECT_DB;
        GuestDebug state = breakpoints.state(stepping[v]);
        try {
            target.setGuestDebug(v, state.withControl(state.control() | GuestDebug.ENABLE | inject));
            applied[v] = null;
            if (interruptSent) {
                report(v, "T02" + thread(v), null);
            } else {
                target.resume(running);
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "gdb: handing a debug exception back to the guest failed", e);
            report(v, "T05" + thread(v), "could not hand the guest its own debug exception: " + e.getMessage());
        }
    }

    private void report(int vcpu, String reply, String console) throws IOException {
        running = null;
        dispatcher.stopped(vcpu, reply);
        for (String payload : console == null ? List.of(reply) : Dispatcher.consoleOutput(console + "\n", reply)) {
            connection.send(payload);
        }
    }

    private void exit(StopEvent.Exited x) {
        exited = true;
        dispatcher.exited(String.format("W%02x", x.status() & 0xff));
    }

    /** The client is gone or detached: leave the guest as if no debugger had been there. */
    private void end() {
        monitor.detached();
        if (exited) {
            return;
        }
        try {
            if (running != null && !waitForStop()) {
                LOG.log(Level.WARNING, "gdb: the guest did not stop; leaving its debug state as it is");
                target.detach();
                return;
            }
            if (exited) {
                return;
            }
            breakpoints.clear();
            for (int v = 0; v < applied.length; v++) {
                if (!GuestDebug.OFF.equals(applied[v])) {
                    target.setGuestDebug(v, GuestDebug.OFF);
                    applied[v] = GuestDebug.OFF;
                }
            }
            target.detach();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "gdb: detaching failed", e);
        }
    }

    /** Stops a running target after the client went away; {@return whether it stopped} */
    private boolean waitForStop() {
        interrupt();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_TIMEOUT_MILLIS);
        try {
            while (true) {
                Event event = events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (event == null) {
                    return false;
                }
                if (event instanceof Stop s) {
                    running = null;
                    if (s.event() instanceof StopEvent.Exited x) {
                        exit(x);
                    }
                    return true;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
