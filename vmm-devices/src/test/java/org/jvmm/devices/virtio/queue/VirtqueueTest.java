package org.jvmm.devices.virtio.queue;

import static org.jvmm.devices.virtio.DriverQueue.ro;
import static org.jvmm.devices.virtio.DriverQueue.rw;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.jvmm.devices.virtio.DriverQueue;
import org.jvmm.devices.virtio.TestGuest;

class VirtqueueTest {

    private static final int SIZE = 8;
    private final TestGuest guest = new TestGuest(1 << 20);

    @AfterEach
    void close() {
        guest.close();
    }

    private Virtqueue queue(DriverQueue d, boolean eventIdx, boolean indirect) {
        Virtqueue q = new Virtqueue(16);
        assertTrue(q.setSize(d.size));
        q.setDescriptorTable(d.desc);
        q.setAvailRing(d.avail);
        q.setUsedRing(d.used);
        assertTrue(q.enable(guest.memory, eventIdx, indirect));
        return q;
    }

    /** Walks a chain into {addr, len, writable} triples. */
    private static List<long[]> walk(DescriptorChain chain) {
        List<long[]> out = new ArrayList<>();
        while (chain.next()) {
            out.add(new long[] {chain.address(), Integer.toUnsignedLong(chain.length()), chain.isWriteOnly() ? 1 : 0});
        }
        return out;
    }

    @Test
    void maxSizeMustBeAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> new Virtqueue(0));
        assertThrows(IllegalArgumentException.class, () -> new Virtqueue(48));
        assertThrows(IllegalArgumentException.class, () -> new Virtqueue(65536));
        assertEquals(256, new Virtqueue(256).size());
    }

    @Test
    void sizeMustBeAPowerOfTwoNoLargerThanMax() {
        Virtqueue q = new Virtqueue(16);
        assertFalse(q.setSize(0));
        assertFalse(q.setSize(3));
        assertFalse(q.setSize(32));
        assertFalse(q.setSize(-16));
        assertEquals(16, q.size(), "bad sizes keep the old value");
        assertTrue(q.setSize(4));
        assertEquals(4, q.size());
    }

    @Test
    void layoutChangesAreIgnoredWhileReady() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        assertFalse(q.setSize(4));
        assertFalse(q.setDescriptorTable(0x2000));
        assertFalse(q.setAvailRing(0x2000));
        assertFalse(q.setUsedRing(0x2000));
        assertEquals(SIZE, q.size());
        assertEquals(d.desc, q.descriptorTable());
        assertEquals(d.avail, q.availRing());
        assertEquals(d.used, q.usedRing());
    }

    @Test
    void misalignedAreasAreRefused() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        long[][] bad = {{d.desc + 8, d.avail, d.used}, {d.desc, d.avail + 1, d.used}, {d.desc, d.avail, d.used + 2}};
        for (long[] layout : bad) {
            Virtqueue q = new Virtqueue(SIZE);
            q.setDescriptorTable(layout[0]);
            q.setAvailRing(layout[1]);
            q.setUsedRing(layout[2]);
            assertFalse(q.enable(guest.memory, false, false));
            assertFalse(q.isReady());
        }
    }

    @Test
    void areasOutsideOrStraddlingTheEndOfRamAreRefused() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        long end = 1 << 20;
        long[][] bad = {
            {0x4000_0000L, d.avail, d.used},
            {end - 16L * SIZE + 16, d.avail, d.used},   // last descriptor past the end
            {d.desc, end - 2L * SIZE - 4, d.used},      // used_event past the end
            {d.desc, d.avail, end - 8L * SIZE - 4},     // avail_event past the end
            {d.desc, d.avail, -8L},
        };
        for (long[] layout : bad) {
            Virtqueue q = new Virtqueue(SIZE);
            q.setDescriptorTable(layout[0]);
            q.setAvailRing(layout[1]);
            q.setUsedRing(layout[2]);
            assertFalse(q.enable(guest.memory, false, false), "layout " + Long.toHexString(layout[0]));
        }
        Virtqueue exact = new Virtqueue(SIZE);
        exact.setDescriptorTable(end - 16L * SIZE);
        exact.setAvailRing(d.avail);
        exact.setUsedRing(d.used);
        assertTrue(exact.enable(guest.memory, false, false), "a table ending exactly at the end of RAM is fine");
    }

    @Test
    void popWalksAChainAndAddUsedPublishesIt() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        assertNull(q.pop());
        int head = d.add(ro(0x5000, 10), ro(0x6000, 20), rw(0x7000, 30));
        DescriptorChain chain = q.pop();
        assertEquals(head, chain.head());
        List<long[]> buffers = walk(chain);
        assertEquals(3, buffers.size());
        assertArrayEquals(new long[] {0x5000, 10, 0}, buffers.get(0));
        assertArrayEquals(new long[] {0x6000, 20, 0}, buffers.get(1));
        assertArrayEquals(new long[] {0x7000, 30, 1}, buffers.get(2));
        assertFalse(chain.next(), "stays at the end");
        assertNull(q.pop());
        q.addUsed(head, 30);
        assertArrayEquals(new int[] {head, 30}, d.takeUsed()[0]);
        assertEquals(1, d.usedIdx());
    }

    @Test
    void theCursorIsReusedAcrossChains() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        d.add(ro(0x5000, 1));
        d.add(ro(0x6000, 1));
        DescriptorChain first = q.pop();
        walk(first);
        assertSame(first, q.pop());
    }

    @Test
    void aLoopIsStoppedByTheHopBudget() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        d.descriptor(0, 0x5000, 1, Virtqueue.DESC_F_NEXT, 1);
        d.descriptor(1, 0x5000, 1, Virtqueue.DESC_F_NEXT, 0);
        d.publish(0);
        DescriptorChain chain = q.pop();
        VirtqueueException e = assertThrows(VirtqueueException.class, () -> walk(chain));
        assertTrue(e.getMessage().contains("longer than queue size"), e.getMessage());
        assertFalse(chain.next(), "a failed chain stays finished");
    }

    @Test
    void aChainAsLongAsTheQueueIsAccepted() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        long[][] buffers = new long[SIZE][];
        for (int i = 0; i < SIZE; i++) {
            buffers[i] = ro(0x5000, 1);
        }
        d.add(buffers);
        assertEquals(SIZE, walk(q.pop()).size());
    }

    @Test
    void nextOutsideTheTableIsAnError() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        d.descriptor(0, 0x5000, 1, Virtqueue.DESC_F_NEXT, SIZE);
        d.publish(0);
        assertThrows(VirtqueueException.class, () -> walk(q.pop()));
    }

    @Test
    void aHeadOutsideTheTableIsAnError() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        d.publish(SIZE);
        assertThrows(VirtqueueException.class, q::pop);
    }

    @Test
    void anAvailIndexMoreThanAQueueAheadIsAnError() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        d.setAvailIdx(SIZE + 1);
        assertThrows(VirtqueueException.class, q::pop);
        assertThrows(VirtqueueException.class, q::hasAvailable);
        d.setAvailIdx(0xFFFF);
        assertThrows(VirtqueueException.class, q::pop, "behind is far ahead in 16-bit arithmetic");
    }

    @Test
    void anAvailIndexExactlyAQueueAheadIsFine() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        for (int i = 0; i < SIZE; i++) {
            d.add(ro(0x5000 + i, 1));
        }
        int popped = 0;
        for (DescriptorChain c = q.pop(); c != null; c = q.pop()) {
            walk(c);
            popped++;
        }
        assertEquals(SIZE, popped);
    }

    @Test
    void aReadableBufferAfterAWritableOneIsAnError() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        d.add(rw(0x5000, 1), ro(0x6000, 1));
        DescriptorChain chain = q.pop();
        assertTrue(chain.next());
        assertThrows(VirtqueueException.class, chain::next);
    }

    @Test
    void totalLengthOverflowIsAnError() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        d.add(ro(0x5000, 0x8000_0000L), ro(0x6000, 0x8000_0000L));
        assertThrows(VirtqueueException.class, () -> walk(q.pop()));
        d.add(ro(0x5000, 0xFFFF_FFFFL), ro(0x6000, 0));
        assertEquals(2, walk(q.pop()).size(), "exactly 2^32 - 1 in total is fine");
    }

    @Test
    void indirectTablesAreFollowed() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, true);
        long table = guest.alloc(16 * 3, 16);
        d.descriptorAt(table, 0, 0x5000, 4, Virtqueue.DESC_F_NEXT, 2);
        d.descriptorAt(table, 2, 0x6000, 5, Virtqueue.DESC_F_NEXT | Virtqueue.DESC_F_WRITE, 1);
        d.descriptorAt(table, 1, 0x7000, 6, Virtqueue.DESC_F_WRITE, 0);
        d.descriptor(0, table, 48, Virtqueue.DESC_F_INDIRECT | Virtqueue.DESC_F_WRITE, 0);
        d.publish(0);
        List<long[]> buffers = walk(q.pop());
        assertEquals(3, buffers.size());
        assertArrayEquals(new long[] {0x5000, 4, 0}, buffers.get(0));
        assertArrayEquals(new long[] {0x6000, 5, 1}, buffers.get(1));
        assertArrayEquals(new long[] {0x7000, 6, 1}, buffers.get(2));
    }

    @Test
    void indirectAfterDirectBuffersIsFollowed() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, true);
        long table = guest.alloc(16, 16);
        d.descriptorAt(table, 0, 0x6000, 2, Virtqueue.DESC_F_WRITE, 0);
        d.descriptor(0, 0x5000, 1, Virtqueue.DESC_F_NEXT, 1);
        d.descriptor(1, table, 16, Virtqueue.DESC_F_INDIRECT, 0);
        d.publish(0);
        assertEquals(2, walk(q.pop()).size());
    }

    private void assertIndirectRejected(boolean negotiated, long tableAddr, int length, int flags,
            Class<? extends RuntimeException> expected) {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, negotiated);
        d.descriptor(0, tableAddr, length, Virtqueue.DESC_F_INDIRECT | flags, 1);
        d.descriptor(1, 0x5000, 1, 0, 0);
        d.publish(0);
        assertThrows(expected, () -> walk(q.pop()));
    }

    @Test
    void indirectWithoutTheFeatureIsAnError() {
        long table = guest.alloc(16, 16);
        assertIndirectRejected(false, table, 16, 0, VirtqueueException.class);
    }

    @Test
    void indirectTablesOfBadLengthAreErrors() {
        long table = guest.alloc(64, 16);
        assertIndirectRejected(true, table, 0, 0, VirtqueueException.class);
        assertIndirectRejected(true, table, 24, 0, VirtqueueException.class);
        assertIndirectRejected(true, table, 17, 0, VirtqueueException.class);
        assertIndirectRejected(true, table, 16 * 65537, 0, VirtqueueException.class);
    }

    @Test
    void indirectWithNextIsAnError() {
        long table = guest.alloc(16, 16);
        assertIndirectRejected(true, table, 16, Virtqueue.DESC_F_NEXT, VirtqueueException.class);
    }

    @Test
    void indirectTablesOutsideRamAreErrors() {
        assertIndirectRejected(true, 0x4000_0000L, 16, 0, VirtqueueException.class);
        assertIndirectRejected(true, (1 << 20) - 16, 32, 0, VirtqueueException.class);
    }

    @Test
    void nestedIndirectIsAnError() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, true);
        long inner = guest.alloc(16, 16);
        long outer = guest.alloc(16, 16);
        d.descriptorAt(inner, 0, 0x5000, 1, 0, 0);
        d.descriptorAt(outer, 0, inner, 16, Virtqueue.DESC_F_INDIRECT, 0);
        d.descriptor(0, outer, 16, Virtqueue.DESC_F_INDIRECT, 0);
        d.publish(0);
        VirtqueueException e = assertThrows(VirtqueueException.class, () -> walk(q.pop()));
        assertTrue(e.getMessage().contains("inside an indirect table"), e.getMessage());
    }

    @Test
    void nextOutsideAnIndirectTableIsAnError() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, true);
        long table = guest.alloc(32, 16);
        d.descriptorAt(table, 0, 0x5000, 1, Virtqueue.DESC_F_NEXT, 2);
        d.descriptor(0, table, 32, Virtqueue.DESC_F_INDIRECT, 0);
        d.publish(0);
        assertThrows(VirtqueueException.class, () -> walk(q.pop()));
    }

    @Test
    void aLoopInsideAnIndirectTableIsStopped() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, true);
        long table = guest.alloc(32, 16);
        d.descriptorAt(table, 0, 0x5000, 1, Virtqueue.DESC_F_NEXT, 1);
        d.descriptorAt(table, 1, 0x5000, 1, Virtqueue.DESC_F_NEXT, 0);
        d.descriptor(0, table, 32, Virtqueue.DESC_F_INDIRECT, 0);
        d.publish(0);
        assertThrows(VirtqueueException.class, () -> walk(q.pop()));
    }

    @Test
    void needEventFollowsTheSpecAcrossTheWrap() {
        // vring_need_event(event, new, old): event in [old, new) modulo 2^16.
        assertTrue(Virtqueue.needEvent((short) 5, (short) 6, (short) 5));
        assertFalse(Virtqueue.needEvent((short) 6, (short) 6, (short) 5), "event not yet reached");
        assertFalse(Virtqueue.needEvent((short) 4, (short) 6, (short) 5), "event already passed before old");
        assertTrue(Virtqueue.needEvent((short) 0xFFFF, (short) 1, (short) 0xFFFE), "crossing the wrap");
        assertTrue(Virtqueue.needEvent((short) 0, (short) 1, (short) 0xFFFF), "event just after the wrap");
        assertFalse(Virtqueue.needEvent((short) 1, (short) 1, (short) 0xFFFF));
        assertFalse(Virtqueue.needEvent((short) 0xFFFD, (short) 1, (short) 0xFFFE));
        assertFalse(Virtqueue.needEvent((short) 7, (short) 7, (short) 7), "nothing moved");
    }

    @Test
    void withoutEventIdxTheNoInterruptFlagDecides() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        assertFalse(q.needsInterrupt(), "nothing returned yet");
        d.add(ro(0x5000, 1));
        q.addUsed(q.pop().head(), 0);
        assertTrue(q.needsInterrupt());
        assertFalse(q.needsInterrupt(), "nothing new since");
        d.setAvailFlags(Virtqueue.AVAIL_F_NO_INTERRUPT);
        d.add(ro(0x5000, 1));
        q.addUsed(q.pop().head(), 0);
        assertFalse(q.needsInterrupt());
    }

    @Test
    void withEventIdxUsedEventDecidesAndTheFlagIsIgnored() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, true, false);
        d.setAvailFlags(Virtqueue.AVAIL_F_NO_INTERRUPT);
        d.setUsedEvent(0);
        d.add(ro(0x5000, 1));
        q.addUsed(q.pop().head(), 0);
        assertTrue(q.needsInterrupt(), "used idx moved 0 -> 1 past used_event 0");
        d.setUsedEvent(3);
        for (int expectedUsed = 2; expectedUsed <= 4; expectedUsed++) {
            d.add(ro(0x5000, 1));
            q.addUsed(q.pop().head(), 0);
            assertEquals(expectedUsed == 4, q.needsInterrupt(), "used idx " + expectedUsed);
        }
    }

    @Test
    void eventIdxAcrossTheSixteenBitWrap() {
        DriverQueue d = DriverQueue.allocate(guest, 4);
        Virtqueue q = queue(d, true, false);
        d.setUsedEvent(0xFFFF);
        int interrupts = 0;
        int interruptAt = -1;
        for (int i = 1; i <= 0x10000; i++) {
            d.add(ro(0x5000, 1));
            q.addUsed(q.pop().head(), 0);
            if (q.needsInterrupt()) {
                interrupts++;
                interruptAt = i;
            }
        }
        // used_event 0xFFFF is crossed only when the used index goes 0xFFFF -> 0x0000.
        assertEquals(1, interrupts);
        assertEquals(0x10000, interruptAt);
        assertEquals(0, q.nextUsed());
        assertEquals(0, d.usedIdx());
        assertEquals(0, q.nextAvail());
        d.setUsedEvent(1);
        d.add(ro(0x5000, 1));
        q.addUsed(q.pop().head(), 0);
        assertFalse(q.needsInterrupt(), "0 -> 1 has not passed used_event 1");
        d.add(ro(0x5000, 1));
        q.addUsed(q.pop().head(), 0);
        assertTrue(q.needsInterrupt(), "1 -> 2 passes used_event 1");
    }

    @Test
    void eventIdxPublishesAvailEventWhenTheRingRunsDry() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, true, false);
        d.add(ro(0x5000, 1));
        d.add(ro(0x5000, 1));
        assertEquals(0, d.availEvent());
        q.pop();
        q.pop();
        assertEquals(0, d.availEvent(), "not written while there is work");
        assertNull(q.pop());
        assertEquals(2, d.availEvent(), "asks to be notified at the next avail entry");
    }

    @Test
    void withoutEventIdxAvailEventIsNotWritten() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        d.add(ro(0x5000, 1));
        q.pop();
        assertNull(q.pop());
        assertEquals(0, d.availEvent());
    }

    @Test
    void resetForgetsEverything() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        d.add(ro(0x5000, 1));
        q.addUsed(q.pop().head(), 0);
        q.reset();
        assertFalse(q.isReady());
        assertEquals(16, q.size());
        assertEquals(0, q.descriptorTable());
        assertEquals(0, q.nextAvail());
        assertEquals(0, q.nextUsed());
        assertThrows(IllegalStateException.class, q::pop);
    }

    @Test
    void chainBuffersGatherAcrossDescriptors() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        long a = guest.put(new byte[] {1, 2, 3});
        long b = guest.put(new byte[] {4, 5, 6, 7});
        long w1 = guest.alloc(2, 8);
        long w2 = guest.alloc(3, 8);
        d.add(ro(a, 3), ro(b, 4), rw(w1, 2), rw(w2, 3));
        ChainBuffers buffers = new ChainBuffers(SIZE);
        buffers.collect(q.pop());
        assertEquals(4, buffers.count());
        assertEquals(2, buffers.firstWritable());
        assertEquals(7, buffers.readableBytes());
        assertEquals(5, buffers.writableBytes());
        byte[] middle = new byte[4];
        buffers.readFrom(guest.memory, 2, java.lang.foreign.MemorySegment.ofArray(middle));
        assertArrayEquals(new byte[] {3, 4, 5, 6}, middle);
        buffers.writeTo(guest.memory, 1, java.lang.foreign.MemorySegment.ofArray(new byte[] {9, 8, 7}));
        assertArrayEquals(new byte[] {0, 9}, guest.get(w1, 2));
        assertArrayEquals(new byte[] {8, 7, 0}, guest.get(w2, 3));
        assertEquals(w2 + 2, buffers.writableAddress(4));
    }

    @Test
    void chainBuffersRefuseAChainWithABufferOutsideMemoryBeforeUsingAny() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        long good = guest.put(new byte[] {1, 2, 3});
        d.add(ro(good, 3), ro(0x7000_0000L, 0), rw(good, 3));
        ChainBuffers buffers = new ChainBuffers(SIZE);
        buffers.collect(q.pop());
        assertEquals(3, buffers.count(), "an empty buffer may point anywhere: nothing is accessed");
        d.add(ro(good, 3), rw((1 << 20) - 2, 4));
        VirtqueueException e = assertThrows(VirtqueueException.class, () -> buffers.collect(q.pop()));
        assertTrue(e.getMessage().contains("is not inside guest memory"), e.getMessage());
    }

    // ---- boundaries and results the mutation run (docs/hardening.md) showed untested ----

    @Test
    void theSmallestAndLargestSizesAreAccepted() {
        assertEquals(1, new Virtqueue(1).maxSize());
        assertEquals(Virtqueue.MAX_SIZE, new Virtqueue(Virtqueue.MAX_SIZE).maxSize());
        Virtqueue q = new Virtqueue(16);
        assertTrue(q.setSize(1));
        assertEquals(1, q.size());
        assertTrue(q.setSize(16), "the maximum itself");
        assertEquals(16, q.size());
    }

    @Test
    void layoutSettersSayTheyTookTheValueWhileNotReady() {
        Virtqueue q = new Virtqueue(16);
        assertTrue(q.setDescriptorTable(0x1000));
        assertTrue(q.setAvailRing(0x2000));
        assertTrue(q.setUsedRing(0x3000));
        assertEquals(0x1000, q.descriptorTable());
        assertEquals(0x2000, q.availRing());
        assertEquals(0x3000, q.usedRing());
    }

    @Test
    void enablingAReadyQueueAgainSucceedsAndKeepsItsPosition() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        d.add(ro(0x5000, 1));
        walk(q.pop());
        assertTrue(q.enable(guest.memory, false, false));
        assertEquals(1, q.nextAvail(), "a second enable is not a reset");
    }

    @Test
    void hasAvailableSaysWhetherAPopWouldReturnAChain() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue notReady = new Virtqueue(SIZE);
        assertFalse(notReady.hasAvailable());
        Virtqueue q = queue(d, false, false);
        assertFalse(q.hasAvailable());
        d.add(ro(0x5000, 1));
        assertTrue(q.hasAvailable());
        walk(q.pop());
        assertFalse(q.hasAvailable());
    }

    @Test
    void usedElementsWrapAroundTheRingAndTheIndicesCount() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        for (int i = 0; i < 3 * SIZE + 2; i++) {
            d.add(ro(0x5000 + i, 1));
            DescriptorChain chain = q.pop();
            walk(chain);
            assertEquals(i + 1, q.nextAvail());
            q.addUsed(chain.head(), 100 + i);
            assertEquals(i + 1, q.nextUsed());
            assertEquals(i + 1, d.usedIdx());
            assertEquals(chain.head(), d.usedId(i), "used element " + i + " sits at ring slot " + i % SIZE);
            assertEquals(100 + i, d.usedLen(i));
        }
    }

    @Test
    void anIndirectTableAsLongAsTheQueueIsAccepted() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, true);
        long table = guest.alloc(16L * SIZE, 16);
        for (int i = 0; i < SIZE; i++) {
            d.descriptorAt(table, i, 0x5000 + i, 1, i < SIZE - 1 ? Virtqueue.DESC_F_NEXT : 0, i + 1);
        }
        d.descriptor(0, table, 16 * SIZE, Virtqueue.DESC_F_INDIRECT, 0);
        d.publish(0);
        assertEquals(SIZE, walk(q.pop()).size(), "the indirect descriptor itself is not a buffer");
    }

    @Test
    void anIndirectTableOfTheLargestLengthIsAccepted() {
        try (TestGuest big = new TestGuest(3L << 20)) {
            DriverQueue d = DriverQueue.allocate(big, SIZE);
            Virtqueue q = new Virtqueue(SIZE);
            q.setDescriptorTable(d.desc);
            q.setAvailRing(d.avail);
            q.setUsedRing(d.used);
            assertTrue(q.enable(big.memory, false, true));
            long table = big.alloc(16L * 65536, 16);
            d.descriptorAt(table, 0, 0x5000, 7, 0, 0);
            d.descriptor(0, table, 16 * 65536, Virtqueue.DESC_F_INDIRECT, 0);
            d.publish(0);
            assertEquals(1, walk(q.pop()).size(), "65536 entries is the limit, not past it");
        }
    }

    @Test
    void chainBuffersFindTheFirstWritableInAnAllWritableChain() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        long w1 = guest.alloc(2, 8);
        long w2 = guest.alloc(3, 8);
        d.add(rw(w1, 2), rw(w2, 3));
        ChainBuffers buffers = new ChainBuffers(SIZE);
        buffers.collect(q.pop());
        assertEquals(0, buffers.firstWritable());
        assertEquals(0, buffers.readableBytes());
        assertEquals(5, buffers.writableBytes());
        buffers.writeTo(guest.memory, 0, java.lang.foreign.MemorySegment.ofArray(new byte[] {1, 2, 3, 4, 5}));
        assertArrayEquals(new byte[] {1, 2}, guest.get(w1, 2));
        assertArrayEquals(new byte[] {3, 4, 5}, guest.get(w2, 3));
    }

    @Test
    void chainBuffersCopyFromAnOffsetInALaterBufferAndRefuseToGoPastTheEnd() {
        DriverQueue d = DriverQueue.allocate(guest, SIZE);
        Virtqueue q = queue(d, false, false);
        long a = guest.put(new byte[] {1, 2});
        long b = guest.put(new byte[] {3, 4, 5});
        long w1 = guest.alloc(2, 8);
        long w2 = guest.alloc(3, 8);
        d.add(ro(a, 2), ro(b, 3), rw(w1, 2), rw(w2, 3));
        ChainBuffers buffers = new ChainBuffers(SIZE);
        buffers.collect(q.pop());
        byte[] tail = new byte[2];
        buffers.readFrom(guest.memory, 3, java.lang.foreign.MemorySegment.ofArray(tail));
        assertArrayEquals(new byte[] {4, 5}, tail, "the last two readable bytes, in the second buffer");
        assertThrows(IllegalArgumentException.class,
                () -> buffers.readFrom(guest.memory, 4, java.lang.foreign.MemorySegment.ofArray(new byte[2])));
        buffers.writeTo(guest.memory, 3, java.lang.foreign.MemorySegment.ofArray(new byte[] {7, 8}));
        assertArrayEquals(new byte[] {0, 0}, guest.get(w1, 2), "the first writable buffer untouched");
        assertArrayEquals(new byte[] {0, 7, 8}, guest.get(w2, 3));
        assertThrows(IllegalArgumentException.class,
                () -> buffers.writeTo(guest.memory, 4, java.lang.foreign.MemorySegment.ofArray(new byte[2])));
        assertEquals(w2, buffers.writableAddress(2), "offset 2 is the second writable buffer's first byte");
        assertEquals(w1 + 1, buffers.writableAddress(1));
        assertThrows(IllegalArgumentException.class, () -> buffers.writableAddress(5));
    }
}
