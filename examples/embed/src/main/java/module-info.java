/** A VMM of its own, built on jvmm's machine. */
module org.jvmm.example.embed {
    requires org.jvmm.machine;
}
