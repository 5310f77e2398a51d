package org.jvmm.devices.thread;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class DeviceThreadTest {

    @Test
    void aStepThatIsDoneEndsTheThread() throws Exception {
        AtomicInteger rounds = new AtomicInteger();
        DeviceThread thread = DeviceThread.start("t-done", () -> rounds.incrementAndGet() < 3, t -> { }, Duration.ZERO);
        assertTrue(thread.join(Duration.ofSeconds(5)));
        assertEquals(3, rounds.get());
        assertEquals(0, thread.failures());
    }

    @Test
    void closeWakesAWaitingThreadAndStopsIt() throws Exception {
        DeviceThread thread = DeviceThread.start("t-wait", () -> {
            LockSupport.park();
            return true;
        }, LockSupport::unpark, Duration.ofSeconds(5));
        Thread.sleep(50);
        assertTrue(thread.isRunning());
        thread.close();
        assertFalse(thread.isRunning(), "woken and stopped within its patience");
        assertTrue(thread.stopping());
        assertEquals(0, thread.failures(), "a stop is not a failure");
    }

    @Test
    void aFailureEndsTheThreadAndIsCounted() throws Exception {
        DeviceThread thread = DeviceThread.start("t-fail", () -> {
            throw new IOException("input went away");
        }, t -> { }, Duration.ZERO);
        assertTrue(thread.join(Duration.ofSeconds(5)));
        assertEquals(1, thread.failures());
        DeviceThread error = DeviceThread.start("t-error", () -> {
            throw new AssertionError("a bug");
        }, t -> { }, Duration.ZERO);
        assertTrue(error.join(Duration.ofSeconds(5)));
        Thread.sleep(50); // the uncaught-exception handler runs as the thread dies
        assertEquals(1, error.failures(), "an Error that ends the thread counts too");
    }

    @Test
    void withoutPatienceCloseWaitsForTheWorkInHand() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger finished = new AtomicInteger();
        DeviceThread thread = DeviceThread.start("t-work", () -> {
            started.countDown();
            Thread.sleep(300); // a request being served; the wake-up does not cut it short
            finished.incrementAndGet();
            return true;
        }, t -> { }, null);
        assertTrue(started.await(5, TimeUnit.SECONDS));
        thread.close();
        assertEquals(1, finished.get(), "close returned only after the request was done");
        assertFalse(thread.isRunning());
    }

    @Test
    void aBoundedPatienceLeavesABlockedThreadBehind() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        DeviceThread thread = DeviceThread.start("t-blocked", () -> {
            never.await(); // like a read of stdin: the wake-up cannot end it
            return true;
        }, t -> { }, Duration.ofMillis(50));
        Thread.sleep(50);
        long start = System.nanoTime();
        thread.close();
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "close returned after its patience");
        assertTrue(thread.isRunning(), "left behind, a daemon");
        never.countDown();
        assertTrue(thread.join(Duration.ofSeconds(5)));
    }
}
