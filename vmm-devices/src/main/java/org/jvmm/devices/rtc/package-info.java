/**
 * The PC's CMOS real-time clock, {@link org.jvmm.devices.rtc.CmosRtc}: time from a clock it is given,
 * alarm and status registers, CMOS bytes. Depends on vmm-core's bus only.
 */
package org.jvmm.devices.rtc;
