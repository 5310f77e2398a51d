package org.jvmm.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jvmm.devices.virtio.mmio.VirtioMmioTransport;
import org.junit.jupiter.api.Test;

/** The watch the hostile-guest tests rely on sees what it must, and nothing else. */
class HostFaultWatchTest {

    @Test
    void seesWarningsThreadDeathsAndResetReasonsButNotDebugNoise() throws InterruptedException {
        try (HostFaultWatch watch = HostFaultWatch.start()) {
            System.getLogger("org.jvmm.devices.example").log(System.Logger.Level.WARNING, "disk {0} failed", "a.img");
            System.getLogger("org.jvmm.devices.example").log(System.Logger.Level.DEBUG, "guest error; ignored");
            System.getLogger("com.example").log(System.Logger.Level.WARNING, "not jvmm's");
            System.getLogger(VirtioMmioTransport.class.getName()).log(System.Logger.Level.DEBUG,
                    "virtio-mmio: device {0} needs reset: {1}; ignored", 2, "a loop");
            Thread t = Thread.ofPlatform().start(() -> {
                throw new IllegalStateException("boom");
            });
            t.join();
            List<String> faults = watch.faults();
            assertEquals(2, faults.size(), faults.toString());
            assertEquals("WARNING org.jvmm.devices.example: disk a.img failed", faults.get(0));
            assertTrue(faults.get(1).contains("boom"), faults.get(1));
            assertEquals(List.of("virtio-mmio: device 2 needs reset: a loop; ignored"), watch.resets());
        }
    }
}
