/**
 * Host facilities a VMM front end needs besides KVM, behind plain Java types: for now the terminal
 * that {@code jvmm run} puts in raw mode while stdin feeds the guest's console. Implemented with
 * libc downcalls from {@code org.jvmm.core.sys}, since Java has no termios API.
 */
package org.jvmm.core.host;
