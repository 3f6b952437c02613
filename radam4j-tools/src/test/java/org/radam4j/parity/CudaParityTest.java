package org.radam4j.parity;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.radam4j.parity.Impl;
import org.radam4j.parity.ParityRunner;

/**
 * golden_cuda.json (PyTorch 2.11 on an H200) replayed on this machine's GPU: every case, capturable ones
 * included, is {@code bitwise} or within PyTorch's dtype tolerance, with its largest difference in ulps
 * printed. Runs only where {@code torch.cuda_is_available()} (the {@code gpu} Maven profile on a CUDA machine);
 * elsewhere JUnit reports it as skipped, not passed.
 */
@Tag("cuda")
class CudaParityTest {

    @Test
    void cudaGoldenCases() throws IOException {
        assumeTrue(torch.cuda_is_available(), "CUDA is not available");
        List<String> failures = new ArrayList<>();
        new ParityRunner(Impl.AUTO).run(ParityRunner.read(Golden.file("golden_cuda.json")), o -> {
            System.out.println(o.line());
            if (!o.passed()) {
                failures.add(o.line());
            }
        });
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
