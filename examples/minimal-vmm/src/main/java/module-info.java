/** A complete minimal VMM on vmm-core alone. */
module org.jvmm.example.minimal {
    requires org.jvmm.core;
}
