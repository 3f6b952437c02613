package org.radam4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KernelPlansTest {

    private static final Pattern ISA_LINE = Pattern.compile("(?m)^(bfloat16|float16)\\.isa=(.+)$");

    @Test
    void calibrationPicksAVariantThisCpuRunsForEachDtypeAndTheCacheReplaysIt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("plan.txt");
        assertFalse(KernelPlans.applyOrCalibrate(file, 2), "no cache yet: calibrated");
        String plan = Files.readString(file);
        Matcher m = ISA_LINE.matcher(plan);
        int dtypes = 0;
        while (m.find()) {
            assertTrue(List.of(FusedKernel.isas()).contains(m.group(2)), plan);
            assertTrue(FusedKernel.plans().contains(m.group(1) + "=" + m.group(2) + ","), FusedKernel.plans());
            dtypes++;
        }
        assertEquals(2, dtypes, plan);
        assertTrue(plan.contains("ms"), "the times behind the choice: " + plan);
        String applied = FusedKernel.plans();
        assertTrue(KernelPlans.applyOrCalibrate(file, 2), "the cached plan is used");
        assertEquals(applied, FusedKernel.plans());
    }

    @Test
    void aPlanRunsEachDtypeWithTheVariantAndTablesItNames() {
        String[] isas = FusedKernel.isas();
        String first = isas[0];
        String last = isas[isas.length - 1];
        assertTrue(FusedKernel.applyPlans("# comment\nbfloat16.isa=" + first + "\nfloat16.isa=" + last + "\nfloat16.tables."
                + last + "=0\n"));
        assertEquals("bfloat16=" + first + ",tables float16=" + last + ",computed", FusedKernel.plans());
        assertTrue(FusedKernel.applyPlans("bfloat16.isa=" + last + "\nfloat16.isa=" + last + "\n"));
        assertEquals("bfloat16=" + last + ",tables float16=" + last + ",tables", FusedKernel.plans());
        assertTrue(FusedKernel.useIsa(first));
        try {
            assertTrue(FusedKernel.plans().startsWith("bfloat16=" + first + ","), "useIsa overrides the plan");
        } finally {
            FusedKernel.useIsa(null);
        }
    }

    @Test
    void aMalformedOrForeignPlanChangesNothingAndACorruptCacheIsRecalibrated(@TempDir Path dir) throws IOException {
        String before = FusedKernel.plans();
        for (String bad : List.of("bfloat16.isa=sse9\nfloat16.isa=portable", "garbage", "bfloat16.isa=portable",
                "bfloat16.isa=portable\nfloat16.isa=portable\nfloat16.tables.portable=2", "int8.isa=portable")) {
            assertFalse(FusedKernel.applyPlans(bad), bad);
            assertEquals(before, FusedKernel.plans(), bad);
        }
        Path file = dir.resolve("plan.txt");
        Files.writeString(file, "bfloat16.isa=sse9\n");
        assertFalse(KernelPlans.applyOrCalibrate(file, 1), "a plan this CPU cannot run is measured again");
        assertTrue(ISA_LINE.matcher(Files.readString(file)).find());
    }

    /** A variant is named in full or by its first part; an unknown or partial name changes nothing. */
    @Test
    void aVariantIsNamedInFullOrByItsFirstPart() {
        try {
            for (String isa : FusedKernel.isas()) {
                assertTrue(FusedKernel.useIsa(isa), isa);
                assertEquals(isa, FusedKernel.isa());
                String first = isa.split("\\+")[0];
                assertTrue(FusedKernel.useIsa(first), first);
                assertTrue(FusedKernel.isa().equals(first) || FusedKernel.isa().startsWith(first + "+"), first + " ran " + FusedKernel.isa());
            }
            String before = FusedKernel.isa();
            for (String bad : List.of("avx", "avx2+", "sse9", "")) {
                assertFalse(FusedKernel.useIsa(bad), bad);
                assertEquals(before, FusedKernel.isa(), bad);
            }
        } finally {
            FusedKernel.useIsa(null);
        }
    }
}
