package org.radam4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code bench --model NAME}: the parameter lists of real models, one element count per parameter in registration
 * order, from {@code models.txt} (written by {@code scripts/model-shapes.py} from the architectures' definitions).
 */
final class ModelShapes {

    private ModelShapes() {
    }

    /** Every model's element counts, by name, in the file's order. */
    static Map<String, long[]> all() {
        Map<String, List<Long>> sizes = new LinkedHashMap<>();
        try (InputStream in = ModelShapes.class.getResourceAsStream("models.txt")) {
            if (in == null) {
                throw new IllegalStateException("models.txt is missing from the tools' jar");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null;) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.trim().split("\\s+");
                long n = 1;
                for (String d : f[2].split("x")) {
                    n = Math.multiplyExact(n, Long.parseLong(d));
                }
                sizes.computeIfAbsent(f[0], k -> new ArrayList<>()).add(n);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, long[]> out = new LinkedHashMap<>();
        sizes.forEach((k, v) -> out.put(k, v.stream().mapToLong(Long::longValue).toArray()));
        return out;
    }

    /** The model's rows: its params in float32, then in bfloat16. */
    static List<Bench.Shape> rows(String model) {
        long[] sizes = all().get(model);
        if (sizes == null) {
            throw new IllegalArgumentException("unknown model " + model + " (" + String.join(", ", all().keySet()) + ")");
        }
        return List.of(new Bench.Shape(model, sizes, ScalarType.Float), new Bench.Shape(model, sizes, ScalarType.BFloat16));
    }
}
