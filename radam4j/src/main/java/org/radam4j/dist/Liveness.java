package org.radam4j.dist;

import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.radam4j.internal.Handles;

/**
 * Which rank stopped: every rank bumps a counter in the group's store every {@link #BEAT_MS} ms from a daemon
 * thread (its own store client), and publishes how many collectives it has started. When a collective fails,
 * {@link #suspects()} watches the other ranks' counters for {@link #WATCH_MS} ms and names the ranks whose counter
 * did not move (the process died or is stopped), then the live ranks that have started fewer collectives than
 * this one (stuck in the application before the collective). A store that does not answer means rank 0, its
 * host, is gone.
 */
final class Liveness implements AutoCloseable {

    static final long BEAT_MS = 100;
    static final long WATCH_MS = 500;
    private static final long CLIENT_TIMEOUT_MS = 1000;
    /** How long rank 0 waits at close for the others to stop beating before its store goes away. */
    private static final long CLOSE_WAIT_MS = 1000;
    private static final String CLOSED_KEY = "radam4j/closed";

    private final String addr;
    private final int port;
    private final int rank;
    private final int size;
    private final Thread beat;
    private final java.util.function.LongSupplier collectives;
    /** The heartbeat's store client: the beat thread's while it runs, then close's. */
    private final TCPStore client;
    private volatile boolean stop;

    Liveness(String addr, int port, int rank, int size, java.util.function.LongSupplier collectives) {
        this.collectives = collectives;
        this.addr = addr;
        this.port = port;
        this.rank = rank;
        this.size = size;
        this.client = size > 1 ? Handles.keep(client()) : null;
        this.beat = new Thread(this::beat, "radam4j-heartbeat-rank-" + rank);
        beat.setDaemon(true);
        if (size > 1) {
            beat.start();
        }
    }

    private static String key(int rank) {
        return "radam4j/heartbeat/" + rank;
    }

    private static String collectivesKey(int rank) {
        return "radam4j/collectives/" + rank;
    }

    private TCPStore client() {
        TCPStoreOptions so = new TCPStoreOptions();
        so.port((short) port);
        so.isServer(false);
        so.waitWorkers(false);
        so.timeout(new Milliseconds(CLIENT_TIMEOUT_MS));
        return new TCPStore(addr, so);
    }

    private void beat() {
        try {
            long published = 0;
            while (!stop) {
                client.add(key(rank), 1);
                long now = collectives.getAsLong();
                client.add(collectivesKey(rank), now - published);
                published = now;
                Thread.sleep(BEAT_MS);
            }
        } catch (RuntimeException | InterruptedException e) {
            // the store is gone or the group closes; a collective reports it
        }
    }

    /** The ranks that stopped beating or fell behind, in words, or "" when none did; a few hundred ms. */
    String suspects() {
        if (size == 1) {
            return "";
        }
        try (PointerScope scope = new PointerScope()) {
            TCPStore store = client();
            long[] before = new long[size];
            for (int r = 0; r < size; r++) {
                before[r] = r == rank ? 0 : store.add(key(r), 0);
            }
            Thread.sleep(WATCH_MS);
            List<Integer> quiet = new ArrayList<>();
            for (int r = 0; r < size; r++) {
                if (r != rank && store.add(key(r), 0) == before[r]) {
                    quiet.add(r);
                }
            }
            if (!quiet.isEmpty()) {
                return names(quiet) + " stopped responding (no heartbeat for " + WATCH_MS + " ms: dead or stopped)";
            }
            long mine = collectives.getAsLong();
            List<Integer> behind = new ArrayList<>();
            StringBuilder counts = new StringBuilder();
            for (int r = 0; r < size; r++) {
                long theirs = r == rank ? mine : store.add(collectivesKey(r), 0);
                if (theirs < mine) {
                    behind.add(r);
                    counts.append(counts.length() == 0 ? "" : ", ").append("rank ").append(r).append(": ").append(theirs);
                }
            }
            if (behind.isEmpty()) {
                return "";
            }
            return names(behind) + (behind.size() == 1 ? " is" : " are") + " alive but has not started this collective (collectives "
                    + "started: " + counts + ", rank " + rank + ": " + mine + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        } catch (RuntimeException e) {
            return rank == 0 ? "" : "rank 0, host of the store at " + addr + ":" + port + ", does not respond (dead or hung)";
        }
    }

    private static String names(List<Integer> ranks) {
        return ranks.size() == 1 ? "rank " + ranks.get(0) : "ranks " + ranks.toString().replaceAll("[\\[\\]]", "");
    }

    /**
     * Until every rank has said it stopped beating, or no rank's beat has moved for 2.5 beats (a rank that died
     * never says so), at most {@link #CLOSE_WAIT_MS} ms.
     */
    private void awaitOthersStopped() throws InterruptedException {
        long deadline = System.nanoTime() + CLOSE_WAIT_MS * 1_000_000;
        long[] beats = beats();
        long checked = System.nanoTime();
        while (client.add(CLOSED_KEY, 0) < size && System.nanoTime() < deadline) {
            Thread.sleep(10);
            if (System.nanoTime() - checked > BEAT_MS * 2_500_000) {
                long[] now = beats();
                if (java.util.Arrays.equals(now, beats)) {
                    return;
                }
                beats = now;
                checked = System.nanoTime();
            }
        }
    }

    private long[] beats() {
        long[] out = new long[size];
        for (int r = 0; r < size; r++) {
            out[r] = r == rank ? 0 : client.add(key(r), 0);
        }
        return out;
    }

    /**
     * Stops the heartbeat and says so in the store; rank 0, whose store goes away next, waits until the
     * others have stopped too ({@link #awaitOthersStopped}), so that no heartbeat meets a closed store.
     */
    @Override
    public void close() {
        if (client == null) {
            return;
        }
        stop = true;
        beat.interrupt();
        try {
            beat.join(2 * BEAT_MS + CLIENT_TIMEOUT_MS);
            if (!beat.isAlive()) {
                client.add(CLOSED_KEY, 1);
                if (rank == 0) {
                    awaitOthersStopped();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            // the store is gone already
        } finally {
            if (!beat.isAlive()) {
                client.close();
            }
        }
    }
}
