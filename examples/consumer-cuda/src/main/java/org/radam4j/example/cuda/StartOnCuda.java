package org.radam4j.example.cuda;

import org.bytedeco.pytorch.global.torch;
import org.radam4j.Libtorch;

/**
 * The start-up of an application on libtorch's CUDA build: exactly the CUDA natives resolved, then either libtorch
 * loaded (and CUDA available or not) or Libtorch's message naming what the machine lacks. Exits 1 when the
 * dependencies resolve another libtorch, or when the start fails in any other way.
 */
public final class StartOnCuda {

    private static final String CPU = "org/bytedeco/pytorch/linux-x86_64/libjnitorch.so";
    private static final String GPU = "org/bytedeco/pytorch/linux-x86_64-gpu/libjnitorch.so";

    public static void main(String[] args) {
        ClassLoader loader = ClassLoader.getSystemClassLoader();
        if (loader.getResource(CPU) != null || loader.getResource(GPU) == null) {
            System.out.println("FAIL: the dependencies resolve the CPU natives " + (loader.getResource(CPU) != null)
                    + ", the CUDA natives " + (loader.getResource(GPU) != null) + "; expected the CUDA natives only");
            System.exit(1);
        }
        try {
            Libtorch.load();
        } catch (IllegalStateException e) {
            System.out.println("start refused: " + e.getMessage());
            System.exit(e.getMessage().startsWith("libtorch's CUDA build cannot start on this machine") ? 0 : 1);
        }
        System.out.println(torch.cuda_is_available()
                ? "started: CUDA available, " + torch.cuda_device_count() + " device(s)"
                : "started: CUDA not available (no GPU or driver); CUDA work would be skipped");
    }
}
