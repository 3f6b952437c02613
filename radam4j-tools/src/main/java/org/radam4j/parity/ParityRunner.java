package org.radam4j.parity;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Replays a golden file (FORMAT.md): every optimizer case, every {@code mlp} case and every error, each to an
 * {@link Outcome}, reported to a listener as it finishes.
 */
public final class ParityRunner {

    /**
     * How to replay.
     *
     * @param impl the path to run
     * @param saveDir where to write each case's final state dict as {@code <case>.pt}, or null
     * @param baseDir the golden file's folder, where {@code pt/} files are looked for, or null
     */
    public record Settings(Impl impl, java.nio.file.Path saveDir, java.nio.file.Path baseDir) {
    }

    private final Settings settings;

    public ParityRunner(Impl impl) {
        this(new Settings(impl, null, null));
    }

    public ParityRunner(Settings settings) {
        this.settings = settings;
    }

    /**
     * Reads a golden file.
     *
     * @throws IllegalArgumentException when it is not JSON or not an object
     */
    public static JsonNode read(File file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(file + " is not a golden file: expected a JSON object with 'cases'");
        }
        return root;
    }

    /** Replays everything in {@code root}, calling {@code listener} with each outcome. */
    public List<Outcome> run(JsonNode root, Consumer<Outcome> listener) {
        List<Outcome> all = new ArrayList<>();
        Consumer<Outcome> sink = o -> {
            all.add(o);
            listener.accept(o);
        };
        for (JsonNode c : root.path("cases")) {
            sink.accept(CaseReplay.run(c, settings));
        }
        for (JsonNode m : root.path("mlp")) {
            sink.accept(MlpReplay.run(m, settings));
        }
        for (JsonNode e : root.path("errors")) {
            sink.accept(ErrorScenarios.run(e));
        }
        return all;
    }
}
