package org.jvmm.cli.machine;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One {@code --device} option: {@code virtio-console[,out=FILE]}, {@code virtio-blk,path=FILE[,ro]},
 * {@code virtio-rng}, {@code ata-pio,path=FILE[,ro]}; virtio devices also take
 * {@code notify=exit|ioeventfd} and {@code irq=line|irqfd|none}.
 *
 * @param kind    the device
 * @param options its {@code key=value} options ({@code ro} has an empty value)
 */
public record DeviceSpec(Kind kind, Map<String, String> options) {

    /** The device kinds. */
    public enum Kind {
        /** virtio-console, device id 3. */
        VIRTIO_CONSOLE("virtio-console", Set.of("out", "notify", "irq")),
        /** virtio-blk, device id 2. */
        VIRTIO_BLK("virtio-blk", Set.of("path", "ro", "notify", "irq")),
        /** virtio-rng, device id 4. */
        VIRTIO_RNG("virtio-rng", Set.of("notify", "irq")),
        /** The ATA-PIO-like block device at 0x1f0. */
        ATA_PIO("ata-pio", Set.of("path", "ro"));

        final String text;
        final Set<String> keys;

        Kind(String text, Set<String> keys) {
            this.text = text;
            this.keys = keys;
        }

        /** {@return the name used on the command line} */
        public String text() {
            return text;
        }

        /** {@return whether the device sits in a virtio-mmio slot} */
        public boolean isVirtio() {
            return this != ATA_PIO;
        }
    }

    /** How a virtio device hears QueueNotify. */
    public enum Notify {
        /** A user-space MMIO exit, handled on the vCPU thread. */
        EXIT,
        /** Absorbed by KVM through an ioeventfd, served by a device thread. */
        IOEVENTFD
    }

    /** How a virtio device interrupts the guest. */
    public enum Irq {
        /** KVM_IRQ_LINE ioctls (level). */
        LINE,
        /** An irqfd (edge, no ioctl). */
        IRQFD,
        /** None: the guest polls the used ring. */
        NONE
    }

    /**
     * Parses a {@code --device} value.
     *
     * @param text e.g. {@code virtio-blk,path=disk.img,ro}
     * @return the spec
     * @throws IllegalArgumentException with a one-line message naming what is wrong
     */
    public static DeviceSpec parse(String text) {
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
        DeviceSpec spec = new DeviceSpec(kind, Map.copyOf(options));
        if ((kind == Kind.VIRTIO_BLK || kind == Kind.ATA_PIO) && spec.path() == null) {
            throw new IllegalArgumentException(kind.text + " needs path=FILE");
        }
        spec.notifyMode();
        spec.irqMode(true);
        return spec;
    }

    /** {@return the image path, or null} */
    public Path path() {
        String path = options.get("path");
        return path == null || path.isEmpty() ? null : Path.of(path);
    }

    /** {@return whether the image is read-only} */
    public boolean readOnly() {
        return options.containsKey("ro");
    }

    /** {@return the output file of a console, or null for stdout} */
    public Path out() {
        String out = options.get("out");
        return out == null || out.isEmpty() ? null : Path.of(out);
    }

    /** {@return the notify path (default: exit)} */
    public Notify notifyMode() {
        String value = options.getOrDefault("notify", "exit");
        return switch (value) {
            case "exit" -> Notify.EXIT;
            case "ioeventfd" -> Notify.IOEVENTFD;
            default -> throw new IllegalArgumentException(kind.text + ": notify must be exit or ioeventfd, not '" + value + "'");
        };
    }

    /**
     * The interrupt path.
     *
     * @param irqchip whether the machine has the in-kernel irqchip (default line, else none)
     * @return the mode
     */
    public Irq irqMode(boolean irqchip) {
        String value = options.getOrDefault("irq", irqchip ? "line" : "none");
        return switch (value) {
            case "line" -> Irq.LINE;
            case "irqfd" -> Irq.IRQFD;
            case "none" -> Irq.NONE;
            default -> throw new IllegalArgumentException(kind.text + ": irq must be line, irqfd or none, not '" + value + "'");
        };
    }
}
