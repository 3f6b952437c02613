package org.radam4j.parity;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.fuzz.AttackFiles;

/** Every crafted hostile checkpoint loads or is refused within its time and memory budget (see {@link AttackFiles}). */
class AttackFilesTest {

    @Test
    void everyCraftedFileStaysWithinTheBudget(@TempDir Path dir) throws Exception {
        AttackFiles.Report r = AttackFiles.run(dir);
        r.lines().forEach(System.out::println);
        assertTrue(r.ok(), String.join("\n", r.problems()));
        assertTrue(r.lines().size() >= 16);
    }
}
