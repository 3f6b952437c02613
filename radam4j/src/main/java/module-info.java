/**
 * radam4j: PyTorch's {@code torch.optim.RAdam} for Java, on libtorch through the JavaCPP presets.
 *
 * <p>{@link org.radam4j} holds the optimizer and its options, groups, state and hooks; {@link org.radam4j.io}
 * reads and writes PyTorch's checkpoint files; {@link org.radam4j.lr} holds PyTorch's learning-rate schedulers. Everything else is internal. The application chooses libtorch's
 * natives (the presets' platform jars); see {@link org.radam4j.Libtorch} for the first start on a new machine.
 */
module org.radam4j {
    requires transitive org.bytedeco.javacpp;
    requires transitive org.bytedeco.pytorch;
    requires java.logging;

    exports org.radam4j;
    exports org.radam4j.io;
    exports org.radam4j.lr;
    exports org.radam4j.dist;
    exports org.radam4j.internal to org.radam4j.tools;
}
