package org.radam4j;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Loads libtorch through {@link Libtorch} before any test touches the presets (the first start on a new machine). */
public final class LoadLibtorchFirst implements LauncherSessionListener {
    @Override
    public void launcherSessionOpened(LauncherSession session) {
        Libtorch.load();
    }
}
