package org.jvmm.cli;

import java.io.OutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jvmm.machine.AtaPioConfig;
import org.jvmm.machine.DeviceConfig;
import org.jvmm.machine.Interrupt;
import org.jvmm.machine.Notify;
import org.jvmm.machine.VirtioBlockConfig;
import org.jvmm.machine.VirtioConsoleConfig;
import org.jvmm.machine.VirtioPaths;
import org.jvmm.machine.VirtioRngConfig;

/**
 * One {@code --device} option: {@code virtio-console[,out=FILE]}, {@code virtio-blk,path=FILE[,ro]},
 * {@code virtio-rng}, {@code ata-pio,path=FILE[,ro]}; virtio devices also take
 * {@code notify=exit|ioeventfd}, {@code irq=line|irqfd|none} and {@code event-idx=on|off}. The CLI's
 * spelling of a machine {@link DeviceConfig}: only this class knows the option's words.
 *
 * @param kind    the device
 * @param options its {@code key=value} options ({@code ro} has an empty value)
 */
record DeviceOption(Kind kind, Map<String, String> options) {

    /** The device kinds. */
    public enum Kind {
        /** virtio-console, device id 3. */
        VIRTIO_CONSOLE("virtio-console", Set.of("out", "notify", "irq", "event-idx")),
        /** virtio-blk, device id 2. */
        VIRTIO_BLK("virtio-blk", Set.of("path", "ro", "notify", "irq", "event-idx")),
        /** virtio-rng, device id 4. */
        VIRTIO_RNG("virtio-rng", Set.of("notify", "irq", "event-idx")),
        /** The ATA-PIO-like block device at 0x1f0. */
        ATA_PIO("ata-pio", Set.of("path", "ro"));

        final String text;
        final Set<String> keys;

        Kind(String text, Set<String> keys) {
            this.text = text;
            this.keys = keys;
        }

        /** {@return the name used on the command line} */
        String text() {
            return text;
        }

        /** {@return whether the device sits in a virtio-mmio slot} */
        boolean isVirtio() {
            return this != ATA_PIO;
        }
    }

    /**
     * Parses a {@code --device} value.
     *
     * @param text e.g. {@code virtio-blk,path=disk.img,ro}
     * @return the spec
     * @throws IllegalArgumentException with a one-line message naming what is wrong
     */
    static DeviceOption parse(String text) {
        String[] parts = text.split(",");
        Kind kind = null;
        for (Kind k : Kind.values()) {
            if (k.text.equals(parts[0])) {
                kind = k;
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException("unknown device '" + parts[0]
                    + "' (known: virtio-console, virtio-blk, virtio-rng, ata-pio)");
        }
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i];
            int eq = part.indexOf('=');
            String key = eq < 0 ? part : part.substring(0, eq);
            String value = eq < 0 ? "" : part.substring(eq + 1);
            if (!kind.keys.contains(key)) {
                throw new IllegalArgumentException(kind.text + ": unknown option '" + key + "' (known: "
                        + String.join(", ", kind.keys.stream().sorted().toList()) + ")");
            }
            options.put(key, value);
        }
        DeviceOption spec = new DeviceOption(kind, Map.copyOf(options));
        if ((kind == Kind.VIRTIO_BLK || kind == Kind.ATA_PIO) && spec.path() == null) {
            throw new IllegalArgumentException(kind.text + " needs path=FILE");
        }
        if (kind.isVirtio()) {
            spec.paths();
        }
        return spec;
    }

    /** {@return the image path, or null} */
    Path path() {
        String path = options.get("path");
        return path == null || path.isEmpty() ? null : Path.of(path);
    }

    /** {@return whether the image is read-only} */
    boolean readOnly() {
        return options.containsKey("ro");
    }

    /** {@return the output file of a console, or null for stdout} */
    Path out() {
        String out = options.get("out");
        return out == null || out.isEmpty() ? null : Path.of(out);
    }

    /** {@return the notify path, interrupt path and EVENT_IDX choice (defaults: exit, the machine's, on)} */
    VirtioPaths paths() {
        String notify = options.getOrDefault("notify", "exit");
        Notify notifyPath = switch (notify) {
            case "exit" -> Notify.EXIT;
            case "ioeventfd" -> Notify.IOEVENTFD;
            default -> throw new IllegalArgumentException(kind.text + ": notify must be exit or ioeventfd, not '" + notify + "'");
        };
        String irq = options.get("irq");
        Interrupt interrupt = irq == null ? Interrupt.AUTO : switch (irq) {
            case "line" -> Interrupt.LINE;
            case "irqfd" -> Interrupt.IRQFD;
            case "none" -> Interrupt.NONE;
            default -> throw new IllegalArgumentException(kind.text + ": irq must be line, irqfd or none, not '" + irq + "'");
        };
        String eventIdx = options.getOrDefault("event-idx", "on");
        if (!eventIdx.equals("on") && !eventIdx.equals("off")) {
            throw new IllegalArgumentException(kind.text + ": event-idx must be on or off, not '" + eventIdx + "'");
        }
        return new VirtioPaths(notifyPath, interrupt, eventIdx.equals("on"));
    }

    /**
     * The machine's device.
     *
     * @param consoleOut where a virtio-console without {@code out=} writes, and the stream for one
     *                   with it (opened by the caller, who closes it)
     * @return the device
     */
    DeviceConfig toConfig(OutputStream consoleOut) {
        return switch (kind) {
            case VIRTIO_CONSOLE -> new VirtioConsoleConfig(consoleOut, paths());
            case VIRTIO_BLK -> new VirtioBlockConfig(path(), readOnly(), paths());
            case VIRTIO_RNG -> new VirtioRngConfig(paths());
            case ATA_PIO -> new AtaPioConfig(path(), readOnly());
        };
    }
}
