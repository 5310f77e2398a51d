package org.jvmm.devices.control;

/**
 * What a device may ask of the machine that runs it: to stop. Devices call it on a vCPU thread in
 * the middle of an I/O exit, so an implementation only records the request and kicks the vCPUs;
 * it returns promptly, never blocks on the vCPU that called it, and never throws. The device may
 * still see accesses after the request, until every vCPU has left the guest.
 */
public interface VmControl {

    /** Ignores every request; for machines with nothing to stop and for tests. */
    VmControl NONE = new VmControl() {
        @Override
        public void requestReset() {}

        @Override
        public void requestExit(int status) {}

        @Override
        public String toString() {
            return "none";
        }
    };

    /** The guest pulsed the reset line: stop the VM as a reboot. */
    void requestReset();

    /**
     * The guest asked to stop with a process exit status.
     *
     * @param status the status jvmm should exit with, 0 to 255 (the debug exit gives odd ones only)
     */
    void requestExit(int status);
}
