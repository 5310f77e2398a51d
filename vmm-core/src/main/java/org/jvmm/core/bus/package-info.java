/**
 * Port-I/O and MMIO buses: devices answer offsets inside an {@link org.jvmm.core.bus.AddressRange};
 * a {@link org.jvmm.core.bus.Bus} rejects overlaps and routes accesses. Depends on java.base only.
 */
package org.jvmm.core.bus;
