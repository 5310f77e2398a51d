/**
 * The {@code jvmm} command: builds machines from vmm-core and vmm-devices and runs them, compares
 * I/O paths by their exits, and measures exit round trips.
 */
module org.jvmm.cli {
    requires org.jvmm.devices;
    requires info.picocli;
    requires jdk.jfr;

    opens org.jvmm.cli to info.picocli;
    exports org.jvmm.cli.trace to jdk.jfr;
}
