package org.radam4j.internal;

import java.io.IOException;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The libtorch builds the class path holds (the presets' CPU and CUDA natives), and what the machine lacks for
 * one of them: the libraries its files need that the dynamic linker would not find, searched as {@code ld.so}
 * searches (LD_LIBRARY_PATH, the needing file's RUNPATH, the folders of {@code /etc/ld.so.conf}, the system
 * folders). {@link org.radam4j.Libtorch} uses it to refuse a start that would crash the JVM, and
 * {@code scripts/radam4j doctor} to report.
 */
public final class NativeBuilds {

    /** A libtorch build of the presets, by the suffix of its natives' folder. */
    public enum Build {
        CPU(""), CUDA("-gpu");

        private final String suffix;

        Build(String suffix) {
            this.suffix = suffix;
        }

        /** The natives' folder in the jar, e.g. {@code /org/bytedeco/pytorch/linux-x86_64-gpu/}. */
        public String folder(String platform) {
            return "/org/bytedeco/pytorch/" + platform + suffix + "/";
        }

        /** The presets' platform classifier of this build, e.g. {@code linux-x86_64-gpu}. */
        public String classifier(String platform) {
            return platform + suffix;
        }
    }

    /** A library the natives need that the dynamic linker would not find. */
    public record Missing(String library, String neededBy) {
        @Override
        public String toString() {
            return library + " (needed by " + neededBy + ")";
        }
    }

    private static final List<String> SYSTEM_DIRS = List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
            "/lib64", "/usr/lib64", "/lib", "/usr/lib");
    private static final int MAX_FILES = 2000;
    private static final int MAX_CONF_FILES = 256;

    private NativeBuilds() {
    }

    /** The builds whose natives {@code loader} can see, each with where its JNI library is. */
    public static Map<Build, URL> onClassPath(ClassLoader loader, String platform) {
        Map<Build, URL> found = new EnumMap<>(Build.class);
        for (Build b : Build.values()) {
            URL u = loader.getResource(b.folder(platform).substring(1) + "libjnitorch.so");
            if (u != null) {
                found.put(b, u);
            }
        }
        return found;
    }

    /** Why two builds cannot start together, and what to do. */
    public static String twoBuildsMessage(Map<Build, URL> builds, String platform) {
        return "two libtorch builds are on the class path, the CPU natives (" + jar(builds.get(Build.CPU))
                + ") and the CUDA natives (" + jar(builds.get(Build.CUDA)) + "), and one process can load only one: keep "
                + "org.bytedeco:pytorch with the classifier " + Build.CPU.classifier(platform) + " or "
                + Build.CUDA.classifier(platform) + ", not both (in radam4j's own build, -Pgpu swaps one for the other)";
    }

    /** What to do when the CUDA build's libraries are missing. */
    public static String cudaAdvice(String platform) {
        return "install CUDA 13.1 and cuDNN 9.19 with their library folders on the linker's path (/etc/ld.so.conf.d "
                + "or LD_LIBRARY_PATH), or use the CPU build (the org.bytedeco:pytorch classifier "
                + Build.CPU.classifier(platform) + " instead of " + Build.CUDA.classifier(platform)
                + "; in radam4j's own build, leave out -Pgpu); scripts/radam4j doctor lists what is found";
    }

    private static String jar(URL u) {
        String s = String.valueOf(u);
        int bang = s.indexOf("!/");
        return bang > 0 ? s.substring(s.lastIndexOf('/', bang) + 1, bang) : s;
    }

    /**
     * The libraries that the shared libraries in {@code folder} need, directly or through the libraries they find,
     * and that the dynamic linker would not find; {@code provided} names those that JavaCPP loads from other
     * presets' jars before them.
     */
    public static List<Missing> missing(Path folder, Predicate<String> provided) throws IOException {
        Map<String, Path> own = sharedLibraries(folder);
        List<Path> linker = linkerDirs();
        List<Missing> missing = new ArrayList<>();
        Set<String> seen = new HashSet<>(own.keySet());
        Deque<Path> todo = new ArrayDeque<>(own.values());
        int files = 0;
        while (!todo.isEmpty() && files++ < MAX_FILES) {
            Path file = todo.poll();
            ElfDeps deps = ElfDeps.read(file);
            for (String name : deps.needed()) {
                if (own.containsKey(name) || provided.test(name) || !seen.add(name)) {
                    continue;
                }
                Path found = locate(name, searchPath(file, deps, linker));
                if (found == null) {
                    missing.add(new Missing(name, file.getFileName().toString()));
                } else {
                    todo.add(found);
                }
            }
        }
        return missing;
    }

    /** The shared libraries in {@code folder} but JNI's, each after the libraries of the folder it needs. */
    public static List<Path> loadOrder(Path folder) throws IOException {
        Map<String, Path> own = sharedLibraries(folder);
        Map<String, List<String>> needs = new HashMap<>();
        for (Map.Entry<String, Path> e : own.entrySet()) {
            needs.put(e.getKey(), ElfDeps.read(e.getValue()).needed().stream().filter(own::containsKey).toList());
        }
        LinkedHashSet<String> order = new LinkedHashSet<>();
        for (String name : own.keySet()) {
            visit(name, needs, order, new HashSet<>());
        }
        return order.stream().filter(n -> !n.startsWith("libjni")).map(own::get).toList();
    }

    private static void visit(String name, Map<String, List<String>> needs, Set<String> order, Set<String> path) {
        Deque<String[]> stack = new ArrayDeque<>();
        stack.push(new String[] {name, "0"});
        path.add(name);
        while (!stack.isEmpty()) {
            String[] top = stack.peek();
            List<String> deps = needs.get(top[0]);
            int i = Integer.parseInt(top[1]);
            if (i < deps.size()) {
                top[1] = Integer.toString(i + 1);
                String d = deps.get(i);
                if (!order.contains(d) && path.add(d)) {
                    stack.push(new String[] {d, "0"});
                }
            } else {
                stack.pop();
                order.add(top[0]);
            }
        }
    }

    /** Every copy of {@code soname} the dynamic linker or {@code System.loadLibrary} could pick, in search order. */
    public static List<Path> copiesOnLinkerPath(String soname) {
        List<Path> dirs = new ArrayList<>(linkerDirs());
        for (String d : System.getProperty("java.library.path", "").split(":")) {
            if (!d.isEmpty()) {
                dirs.add(Path.of(d));
            }
        }
        LinkedHashSet<Path> copies = new LinkedHashSet<>();
        for (Path d : dirs) {
            Path f = d.resolve(soname);
            if (Files.isRegularFile(f)) {
                try {
                    copies.add(f.toRealPath());
                } catch (IOException e) {
                    copies.add(f);
                }
            }
        }
        return List.copyOf(copies);
    }

    /** The first copy of {@code soname} on the linker's path, or null. */
    public static Path locate(String soname) {
        return locate(soname, linkerDirs());
    }

    private static Path locate(String soname, List<Path> dirs) {
        for (Path d : dirs) {
            Path f = d.resolve(soname);
            if (Files.isRegularFile(f)) {
                return f;
            }
        }
        return null;
    }

    private static List<Path> searchPath(Path file, ElfDeps deps, List<Path> linker) {
        List<Path> dirs = new ArrayList<>();
        Path origin = file.toAbsolutePath().getParent();
        for (String d : deps.runpath()) {
            String expanded = d.replace("${ORIGIN}", origin.toString()).replace("$ORIGIN", origin.toString());
            dirs.add(Path.of(expanded));
        }
        List<Path> all = new ArrayList<>(ldLibraryPath());
        all.addAll(dirs);
        all.addAll(linker);
        return all;
    }

    /** The folders the dynamic linker searches after RUNPATH: LD_LIBRARY_PATH, /etc/ld.so.conf's, the system's. */
    public static List<Path> linkerDirs() {
        LinkedHashSet<Path> dirs = new LinkedHashSet<>(ldLibraryPath());
        Set<Path> confSeen = new HashSet<>();
        readConf(Path.of("/etc/ld.so.conf"), dirs, confSeen);
        for (String d : SYSTEM_DIRS) {
            dirs.add(Path.of(d));
        }
        return List.copyOf(dirs);
    }

    private static List<Path> ldLibraryPath() {
        List<Path> dirs = new ArrayList<>();
        String env = System.getenv("LD_LIBRARY_PATH");
        if (env != null) {
            for (String d : env.split("[:;]")) {
                if (!d.isEmpty()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        return dirs;
    }

    private static void readConf(Path conf, Set<Path> dirs, Set<Path> seen) {
        if (seen.size() >= MAX_CONF_FILES || !seen.add(conf) || !Files.isRegularFile(conf)) {
            return;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(conf);
        } catch (IOException | RuntimeException e) {
            return;
        }
        for (String raw : lines) {
            String line = raw.replaceAll("#.*", "").strip();
            if (line.startsWith("include ")) {
                for (String pattern : line.substring(8).strip().split("\\s+")) {
                    Path p = Path.of(pattern);
                    if (!p.isAbsolute()) {
                        p = conf.getParent().resolve(p);
                    }
                    readIncluded(p, dirs, seen);
                }
            } else if (line.startsWith("/")) {
                dirs.add(Path.of(line.split("[\\s=]")[0]));
            }
        }
    }

    private static void readIncluded(Path pattern, Set<Path> dirs, Set<Path> seen) {
        Path parent = pattern.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            return;
        }
        TreeMap<String, Path> sorted = new TreeMap<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(parent, pattern.getFileName().toString())) {
            for (Path p : s) {
                sorted.put(p.getFileName().toString(), p);
            }
        } catch (IOException | RuntimeException e) {
            return;
        }
        sorted.values().forEach(p -> readConf(p, dirs, seen));
    }

    private static Map<String, Path> sharedLibraries(Path folder) throws IOException {
        Map<String, Path> libs = new TreeMap<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
            for (Path p : s) {
                String n = p.getFileName().toString();
                if (Files.isRegularFile(p) && (n.endsWith(".so") || n.contains(".so."))) {
                    libs.put(n, p);
                }
            }
        }
        return libs;
    }
}
