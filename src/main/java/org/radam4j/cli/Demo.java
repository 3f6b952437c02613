package org.radam4j.cli;

import java.util.List;

final class Demo {
    private Demo() {
    }

    static int run(List<String> args) {
        return 0;
    }
}
