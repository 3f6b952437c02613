package org.radam4j.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code scripts/radam4j launch --nproc N CLASS ARGS...}: torchrun for one machine. Starts N JVMs running
 * {@code CLASS.main(ARGS)} with this JVM's class path, each with {@code RANK}, {@code LOCAL_RANK},
 * {@code WORLD_SIZE}, {@code MASTER_ADDR=127.0.0.1} and a free {@code MASTER_PORT}; their output is prefixed
 * with their rank. When one fails, the others are stopped; the exit code is the first failure's, else 0.
 */
public final class Launch {

    private Launch() {
    }

    static int run(List<String> args) throws Exception {
        if (args.size() < 3 || !args.get(0).equals("--nproc")) {
            System.err.println("usage: scripts/radam4j launch --nproc N CLASS ARGS...");
            return 2;
        }
        int n = Integer.parseInt(args.get(1));
        List<Process> procs = start(n, args.get(2), args.subList(3, args.size()), Map.of(), true);
        return waitAll(procs, Long.MAX_VALUE);
    }

    /** A TCP port free now on 127.0.0.1. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** Starts the ranks; {@code extraJvmArgs} come from {@code env} key {@code JVM_ARGS} when given. */
    public static List<Process> start(int n, String mainClass, List<String> args, Map<String, String> env, boolean prefix)
            throws IOException {
        int port = freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<Process> procs = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path")));
            String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
            if (cache != null) {
                cmd.add(3, "-Dorg.bytedeco.javacpp.cachedir=" + cache);
            }
            cmd.add(mainClass);
            cmd.addAll(args);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().putAll(env);
            pb.environment().put("RANK", Integer.toString(r));
            pb.environment().put("LOCAL_RANK", Integer.toString(r));
            pb.environment().put("WORLD_SIZE", Integer.toString(n));
            pb.environment().put("MASTER_ADDR", "127.0.0.1");
            pb.environment().put("MASTER_PORT", Integer.toString(port));
            Process p = pb.start();
            String tag = "[rank " + r + "] ";
            Thread t = new Thread(() -> {
                try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
                    for (String line; (line = in.readLine()) != null;) {
                        System.out.println(prefix ? tag + line : line);
                    }
                } catch (IOException e) {
                    // the process is gone
                }
            });
            t.setDaemon(true);
            t.start();
            procs.add(p);
        }
        return procs;
    }

    /**
     * Waits for every rank; when one fails, stops the others. Returns the first failure's exit code, else 0
     * (124 when {@code timeoutMillis} passed first).
     */
    public static int waitAll(List<Process> procs, long timeoutMillis) throws InterruptedException {
        long deadline = timeoutMillis == Long.MAX_VALUE ? Long.MAX_VALUE : System.currentTimeMillis() + timeoutMillis;
        int failure = 0;
        while (procs.stream().anyMatch(Process::isAlive)) {
            for (Process p : procs) {
                if (!p.isAlive() && p.exitValue() != 0 && failure == 0) {
                    failure = p.exitValue();
                    procs.forEach(Process::destroy);
                }
            }
            if (System.currentTimeMillis() > deadline) {
                procs.forEach(Process::destroyForcibly);
                return 124;
            }
            Thread.sleep(50);
        }
        for (Process p : procs) {
            p.waitFor(5, TimeUnit.SECONDS);
            if (failure == 0 && p.exitValue() != 0) {
                failure = p.exitValue();
            }
        }
        return failure;
    }
}
