package org.radam4j.parity;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;

import org.radam4j.parity.ParityRunner;

import com.fasterxml.jackson.databind.JsonNode;

/** The PyTorch-recorded reference files copied into the test resources (see golden/FORMAT.md). */
public final class Golden {

    private Golden() {
    }

    public static File file(String name) {
        URL url = Golden.class.getResource("/golden/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource golden/" + name);
        }
        try {
            return new File(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonNode cpu() throws IOException {
        return ParityRunner.read(file("golden_cpu.json"));
    }

    public static JsonNode differentiable() throws IOException {
        return ParityRunner.read(file("golden_differentiable.json"));
    }
}
