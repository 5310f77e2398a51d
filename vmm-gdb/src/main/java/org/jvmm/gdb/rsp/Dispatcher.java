package org.jvmm.gdb.rsp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jvmm.core.arch.LinearMemory;
import org.jvmm.core.kvm.Register;
import org.jvmm.core.kvm.Registers;
import org.jvmm.gdb.GdbTarget;

/**
 * One packet in, one {@link Reply} out, while every vCPU is stopped. Knows the packets, the
 * selected threads and the last stop reply; the {@link Session} does what a reply asks (send,
 * resume, detach, kill). A packet that does not parse gets {@code E01}, an unknown one the empty
 * reply. Never throws for any packet text; what the target throws passes through.
 */
public final class Dispatcher {

    /** The largest payload the stub accepts and sends: gdb's PacketSize. */
    public static final int PACKET_SIZE = 0x4000;
    /** The most bytes one {@code m} returns: its hex must fit in a packet. */
    static final int MAX_READ = PACKET_SIZE / 2 - 16;

    static final String OK = "OK";
    static final String MALFORMED = "E01";
    static final String NO_THREAD = "E02";
    static final String NO_SLOT = "E10";
    static final String FAULT = "E0e";

    /** What a run mode a vCPU gets from a resume packet. */
    static final int STAY = 0, CONTINUE = 1, STEP = 2;

    /** What the session does with a packet. */
    sealed interface Reply {
        /**
         * Send these packets, in order: console output ({@code O...}) first, the reply last.
         *
         * @param packets the payloads
         */
        record Send(List<String> packets) implements Reply {}

        /**
         * Resume the vCPUs: one of {@link #STAY}, {@link #CONTINUE}, {@link #STEP} each.
         *
         * @param actions indexed by vCPU
         */
        record Resume(int[] actions) implements Reply {}

        /** Reply OK, then stop acknowledging. */
        record StartNoAck() implements Reply {}

        /** Reply OK, clear the debug state, let the guest run, close. */
        record Detach() implements Reply {}

        /**
         * End the machine; {@code vKill} wants OK first, {@code k} no reply.
         *
         * @param reply whether to reply OK
         */
        record Kill(boolean reply) implements Reply {}
    }

    private final GdbTarget target;
    private final RegisterAccess registers;
    private final Breakpoints breakpoints;
    private final Monitor monitor;
    private final int vcpus;
    private int general;
    private int resumeThread = -1;
    private String lastStop = "S05";
    private boolean exited;

    Dispatcher(GdbTarget target, Breakpoints breakpoints, Monitor monitor) {
        this.target = target;
        this.registers = new RegisterAccess(target);
        this.breakpoints = breakpoints;
        this.monitor = monitor;
        this.vcpus = target.vcpuCount();
    }

    /**
     * Every vCPU stopped: gdb's current thread becomes the one that stopped.
     *
     * @param vcpu  the vCPU the stop reply names
     * @param reply the stop reply, repeated for {@code ?}
     */
    void stopped(int vcpu, String reply) {
        general = vcpu;
        resumeThread = -1;
        lastStop = reply;
    }

    /**
     * The guest ended: registers and memory are gone.
     *
     * @param reply the {@code W} reply, repeated for {@code ?}
     */
    void exited(String reply) {
        exited = true;
        lastStop = reply;
    }

    /** {@return the vCPU gdb's register and memory packets apply to} */
    int generalThread() {
        return general;
    }

    /**
     * Handles one packet.
     *
     * @param packet the payload, unescaped except for binary data
     * @return what to do
     */
    Reply handle(String packet) {
        try {
            return dispatch(packet);
        } catch (MalformedPacketException e) {
            return send(MALFORMED);
        }
    }

    private static Reply send(String reply) {
        return new Reply.Send(List.of(reply));
    }

    private Reply dispatch(String p) {
        if (p.isEmpty()) {
            return send("");
        }
        char c = p.charAt(0);
        if (exited && "gGpPmMXcCsSZzHT".indexOf(c) >= 0) {
            return send(MALFORMED);
        }
        return switch (c) {
            case '?' -> send(lastStop);
            case 'g' -> send(noArguments(p) ? registers.readAll(general) : MALFORMED);
            case 'G' -> send(registers.writeAll(general, p.substring(1)) ? OK : FAULT);
            case 'p' -> readRegister(p);
            case 'P' -> writeRegister(p);
            case 'm' -> readMemory(p);
            case 'M' -> writeMemory(p, false);
            case 'X' -> writeMemory(p, true);
            case 'H' -> selectThread(p);
            case 'T' -> send(vcpuOf(threadId(p.substring(1))) >= 0 ? OK : NO_THREAD);
            case 'c', 'C', 's', 'S' -> legacyResume(p);
            case 'Z', 'z' -> breakpoint(p);
            case 'D' -> new Reply.Detach();
            case 'k' -> new Reply.Kill(false);
            case 'q' -> query(p);
            case 'Q' -> p.equals("QStartNoAckMode") ? new Reply.StartNoAck() : send("");
            case 'v' -> verbose(p);
            default -> send("");
        };
    }

    private static boolean noArguments(String p) {
        return p.length() == 1;
    }

    // ---- registers ----

    private Reply readRegister(String p) {
        GdbRegister register = GdbRegister.of(Hex.parse(p, 1, p.length()));
        return send(register == null ? MALFORMED : registers.read(general, register));
    }

    private Reply writeRegister(String p) {
        int eq = p.indexOf('=');
        if (eq < 0) {
            throw new MalformedPacketException("P without =");
        }
        GdbRegister register = GdbRegister.of(Hex.parse(p, 1, eq));
        if (register == null) {
            return send(MALFORMED);
        }
        return send(registers.write(general, register, p.substring(eq + 1)) ? OK : FAULT);
    }

    // ---- memory ----

    private LinearMemory memoryOf(int vcpu) {
        return new LinearMemory(target.memory(), linear -> target.translate(vcpu, linear));
    }

    private Reply readMemory(String p) {
        int comma = p.indexOf(',');
        if (comma < 0) {
            throw new MalformedPacketException("m without a length");
        }
        long address = Hex.parse(p, 1, comma);
        long requested = Hex.parse(p, comma + 1, p.length());
        int length = Long.compareUnsigned(requested, MAX_READ) > 0 ? MAX_READ : (int) requested;
        byte[] bytes = new byte[length];
        int read = memoryOf(general).read(address, bytes, 0, length);
        if (read == 0 && length > 0) {
            return send(FAULT);
        }
        StringBuilder out = new StringBuilder(2 * read);
        Hex.append(out, bytes, 0, read);
        return send(out.toString());
    }

    private Reply writeMemory(String p, boolean binary) {
        int comma = p.indexOf(',');
        int colon = p.indexOf(':');
        if (comma < 0 || colon < comma) {
            throw new MalformedPacketException("expected ADDR,LENGTH:DATA");
        }
        long address = Hex.parse(p, 1, comma);
        long length = Hex.parse(p, comma + 1, colon);
        byte[] data = binary ? Binary.decode(p, colon + 1) : Hex.decode(p, colon + 1, p.length());
        if (data.length != length) {
            throw new MalformedPacketException("data of " + data.length + " bytes for a length of " + length);
        }
        int written = data.length == 0 ? 0 : memoryOf(general).write(address, data, 0, data.length);
        return send(written == data.length ? OK : FAULT);
    }

    // ---- threads ----

    /**
     * Parses a thread id: {@code -1} all, {@code 0} any, otherwise vCPU + 1.
     *
     * @return the id as a number
     */
    private static long threadId(String text) {
        if (text.equals("-1")) {
            return -1;
        }
        return Hex.parse(text, 0, text.length());
    }

    /** {@return the vCPU of a positive thread id, or -1 if there is none} */
    private int vcpuOf(long thread) {
        return thread >= 1 && thread <= vcpus ? (int) thread - 1 : -1;
    }

    private Reply selectThread(String p) {
        if (p.length() < 3 || (p.charAt(1) != 'g' && p.charAt(1) != 'c')) {
            throw new MalformedPacketException("expected Hg or Hc and a thread");
        }
        long thread = threadId(p.substring(2));
        int vcpu = vcpuOf(thread);
        if (thread > 0 && vcpu < 0) {
            return send(NO_THREAD);
        }
        if (p.charAt(1) == 'g') {
            general = vcpu >= 0 ? vcpu : general;
        } else {
            resumeThread = vcpu;
        }
        return send(OK);
    }

    private String threadList() {
        StringBuilder ids = new StringBuilder("m");
        for (int v = 0; v < vcpus; v++) {
            ids.append(v == 0 ? "" : ",").append(Hex.of(v + 1));
        }
        return ids.toString();
    }

    private byte[] threadsXml() {
        StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<threads>\n");
        for (int v = 0; v < vcpus; v++) {
            xml.append("  <thread id=\"").append(Hex.of(v + 1)).append("\" name=\"vCPU ").append(v).append("\"/>\n");
        }
        return xml.append("</threads>\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    // ---- resuming ----

    private Reply legacyResume(String p) {
        char c = p.charAt(0);
        int at = 1;
        if (c == 'C' || c == 'S') {
            int semicolon = p.indexOf(';');
            int end = semicolon < 0 ? p.length() : semicolon;
            Hex.parse(p, 1, end); // the signal: a VM has no signals to deliver
            at = semicolon < 0 ? p.length() : semicolon + 1;
        }
        int vcpu = resumeThread >= 0 ? resumeThread : general;
        if (at < p.length()) {
            Registers regs = target.registers(vcpu);
            target.setRegisters(vcpu, regs.set(Register.RIP, Hex.parse(p, at, p.length())));
        }
        int[] actions = new int[vcpus];
        if (c == 's' || c == 'S') {
            actions[vcpu] = STEP;
        } else if (resumeThread >= 0) {
            actions[resumeThread] = CONTINUE;
        } else {
            Arrays.fill(actions, CONTINUE);
        }
        return new Reply.Resume(actions);
    }

    /** {@code vCont;ACTION[:THREAD]...}: the leftmost action that names a vCPU, or has no thread, applies. */
    private Reply vCont(String p) {
        int[] actions = new int[vcpus];
        boolean[] decided = new boolean[vcpus];
        for (String item : p.substring("vCont;".length()).split(";", -1)) {
            if (item.isEmpty()) {
                throw new MalformedPacketException("empty vCont action");
            }
            int colon = item.indexOf(':');
            String action = colon < 0 ? item : item.substring(0, colon);
            if (action.isEmpty()) {
                throw new MalformedPacketException("vCont thread without an action");
            }
            int mode = switch (action.charAt(0)) {
                case 'c' -> CONTINUE;
                case 's' -> STEP;
                case 'C' -> CONTINUE;
                case 'S' -> STEP;
                default -> throw new MalformedPacketException("vCont action " + action);
            };
            boolean withSignal = action.charAt(0) == 'C' || action.charAt(0) == 'S';
            if (withSignal ? action.length() == 1 : action.length() != 1) {
                throw new MalformedPacketException("vCont action " + action);
            }
            if (withSignal) {
                Hex.parse(action, 1, action.length());
            }
            long thread = colon < 0 ? -1 : threadId(item.substring(colon + 1));
            int only = thread == 0 ? general : vcpuOf(thread);
            if (thread > 0 && only < 0) {
                return send(NO_THREAD);
            }
            for (int v = 0; v < vcpus; v++) {
                if (!decided[v] && (thread == -1 || v == only)) {
                    decided[v] = true;
                    actions[v] = mode;
                }
            }
        }
        return new Reply.Resume(actions);
    }

    // ---- breakpoints ----

    private Reply breakpoint(String p) {
        int semicolon = p.indexOf(';');
        String[] fields = (semicolon < 0 ? p : p.substring(0, semicolon)).substring(1).split(",", -1);
        if (fields.length != 3 || fields[0].length() != 1) {
            throw new MalformedPacketException("expected TYPE,ADDR,KIND");
        }
        int type = Hex.digit(fields[0].charAt(0));
        long address = Hex.parse(fields[1], 0, fields[1].length());
        long kind = Hex.parse(fields[2], 0, fields[2].length());
        if (type < 0 || type > 4) {
            return send("");
        }
        int length = (int) Math.min(kind, Integer.MAX_VALUE);
        Breakpoints.Result result = p.charAt(0) == 'Z' ? breakpoints.insert(type, address, length, general)
                : breakpoints.remove(type, address, length);
        return send(switch (result) {
            case OK -> OK;
            case ERROR -> NO_SLOT;
            case UNSUPPORTED -> "";
        });
    }

    // ---- queries ----

    private Reply query(String p) {
        if (p.startsWith("qSupported")) {
            return send("PacketSize=" + Hex.of(PACKET_SIZE) + ";QStartNoAckMode+;qXfer:features:read+;"
                    + "qXfer:threads:read+;vContSupported+;swbreak+;hwbreak+");
        }
        if (p.equals("qAttached") || p.startsWith("qAttached:")) {
            return send("1");
        }
        if (p.equals("qC")) {
            return send("QC" + Hex.of(general + 1));
        }
        if (p.equals("qfThreadInfo")) {
            return send(threadList());
        }
        if (p.equals("qsThreadInfo")) {
            return send("l");
        }
        if (p.startsWith("qThreadExtraInfo,")) {
            int vcpu = vcpuOf(threadId(p.substring("qThreadExtraInfo,".length())));
            return send(vcpu < 0 ? NO_THREAD : Hex.encode(("vCPU " + vcpu).getBytes(StandardCharsets.US_ASCII)));
        }
        if (p.startsWith("qXfer:")) {
            return xfer(p);
        }
        if (p.startsWith("qRcmd,")) {
            return monitorCommand(p);
        }
        return send("");
    }

    /** {@code qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH}. */
    private Reply xfer(String p) {
        String[] parts = p.split(":", -1);
        if (parts.length != 5 || !parts[2].equals("read")) {
            return send("");
        }
        byte[] data;
        if (parts[1].equals("features")) {
            if (!parts[3].equals(TargetDescription.ANNEX)) {
                return send("E00");
            }
            data = TargetDescription.shared();
        } else if (parts[1].equals("threads")) {
            data = threadsXml();
        } else {
            return send("");
        }
        int comma = parts[4].indexOf(',');
        if (comma < 0) {
            throw new MalformedPacketException("expected OFFSET,LENGTH");
        }
        long offset = Hex.parse(parts[4], 0, comma);
        long length = Hex.parse(parts[4], comma + 1, parts[4].length());
        return send(xferChunk(data, offset, length));
    }

    /**
     * One {@code qXfer} reply: {@code m} and a piece, {@code l} and the last piece, escaped, at
     * most {@code length} characters of data and never more than a packet holds.
     *
     * @param data   the whole object
     * @param offset where gdb wants it from
     * @param length how much gdb takes
     * @return the reply, {@code E01} for an offset past the end
     */
    static String xferChunk(byte[] data, long offset, long length) {
        if (Long.compareUnsigned(offset, data.length) > 0) {
            return MALFORMED;
        }
        // Escaping can double a byte: stop where the reply would outgrow what gdb takes.
        long budget = Long.compareUnsigned(length, PACKET_SIZE - 1) > 0 ? PACKET_SIZE - 1 : length;
        int end = (int) offset;
        int size = 0;
        while (end < data.length && size + Binary.escapedSize(data[end]) <= budget) {
            size += Binary.escapedSize(data[end]);
            end++;
        }
        StringBuilder out = new StringBuilder(size + 1).append(end < data.length ? 'm' : 'l');
        Binary.append(out, data, (int) offset, end - (int) offset);
        return out.toString();
    }

    private Reply monitorCommand(String p) {
        byte[] line = Hex.decode(p, "qRcmd,".length(), p.length());
        String output = monitor.run(new String(line, StandardCharsets.ISO_8859_1));
        return new Reply.Send(consoleOutput(output, OK));
    }

    /**
     * Console output as {@code O} packets, each within the packet size, followed by a reply.
     *
     * @param text  the output
     * @param reply the packet after it
     * @return the packets
     */
    static List<String> consoleOutput(String text, String reply) {
        List<String> packets = new ArrayList<>();
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int chunk = (PACKET_SIZE - 1) / 2;
        for (int at = 0; at < bytes.length; at += chunk) {
            StringBuilder out = new StringBuilder("O");
            Hex.append(out, bytes, at, Math.min(chunk, bytes.length - at));
            packets.add(out.toString());
        }
        packets.add(reply);
        return packets;
    }

    // ---- v packets ----

    private Reply verbose(String p) {
        if (p.equals("vCont?")) {
            return send("vCont;c;C;s;S");
        }
        if (p.startsWith("vCont;")) {
            return exited ? send(MALFORMED) : vCont(p);
        }
        if (p.startsWith("vKill")) {
            return new Reply.Kill(true);
        }
        return send("");
    }
}
