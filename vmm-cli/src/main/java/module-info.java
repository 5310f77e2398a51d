/**
 * The {@code jvmm} command: turns options into vmm-machine builder calls and results into reports
 * (tables, JSON, HTML, JFR). Only this module knows the command's flags.
 */
module org.jvmm.cli {
    requires org.jvmm.machine;
    requires org.jvmm.gdb;
    requires info.picocli;
    requires jdk.jfr;

    opens org.jvmm.cli to info.picocli;
    exports org.jvmm.cli.trace to jdk.jfr;
}
