package org.radam4j.cli;

import org.radam4j.Libtorch;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

import org.radam4j.parity.Impl;
import org.radam4j.parity.Outcome;
import org.radam4j.parity.ParityRunner;

/** The {@code scripts/radam4j} command line: {@code demo}, {@code parity}. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
            System.exit(2);
        }
        if (List.of("help", "--help", "-h").contains(args[0])) {
            usage();
            System.exit(0);
        }
        if (args[0].equals("doctor")) {
            System.exit(Doctor.run(List.of(args).subList(1, args.length)));
        }
        try {
            Libtorch.load();
        } catch (IllegalStateException e) {
            System.err.println("radam4j: " + e.getMessage());
            System.exit(1);
        }
        int rc = switch (args[0]) {
            case "parity" -> parity(List.of(args).subList(1, args.length));
            case "demo" -> Demo.run(List.of(args).subList(1, args.length));
            case "soak" -> Soak.run(List.of(args).subList(1, args.length));
            case "bench" -> Bench.run(List.of(args).subList(1, args.length));
            case "fuzz" -> Fuzz.run(List.of(args).subList(1, args.length));
            case "lr-parity" -> lrParity(List.of(args).subList(1, args.length));
            case "finetune" -> Finetune.run(List.of(args).subList(1, args.length));
            case "convert-golden" -> ConvertGolden.run(List.of(args).subList(1, args.length));
            case "checkpoint" -> Checkpoint.run(List.of(args).subList(1, args.length));
            case "launch" -> Launch.run(List.of(args).subList(1, args.length));
            case "dist-bench" -> DistBench.run(List.of(args).subList(1, args.length));
            default -> {
                System.err.println("radam4j: unknown command '" + args[0] + "'");
                usage();
                yield 2;
            }
        };
        System.exit(rc);
    }

    private static void usage() {
        System.err.println("""
                usage: scripts/radam4j <command> [options]
                  doctor                     Java, the libtorch build on the class path, CUDA and cuDNN, GPUs, the fused
                                             kernel's variant, Python with torch; exit 1 when the build lacks something
                  demo                       train a small network with RAdam and compare its losses with PyTorch's
                  demo --amp                 the same under autocast: float32, bfloat16, float16 with GradScaler and clipping
                  bench [--json FILE] [--rows 200x4096,...|--model bert-base|resnet50|gpt2] [--impl forloop,foreach,fused,libtorch_adam] [--peer] [--steps N] [--threads T] [--isa portable|avx2+fma+f16c|avx512|avx512+fp16] [--rounds R]
                                             median step time per path (also forloop_scaled, foreach_scaled,
                                             fused_scaled: GradScaler steps; fused_check: their inf/NaN scan
                                             alone), effective GB/s and ratios; --model: a
                                             real model's parameter list in float32 and bfloat16; --peer: DeepSpeed's
                                             way (float math, one rounding per store) beside, float32 and bfloat16
                                             --rounds R: R rounds of the probe and every impl, medians over rounds
                  soak [--steps N] [--impl forloop,foreach,fused[_amp],...] [--zero-grad none|zero]
                                             train for N steps per path and report RSS and live native handles
                  fuzz [--maps N] [--files N] [--seed S] [--golden DIR]
                                             feed loadStateDict generated maps and TorchFiles damaged checkpoints
                  fuzz --attack              crafted hostile checkpoints (bombs, deep nesting, huge ints, ...) under a
                                             time and memory budget each
                  fuzz --fused N [--seed S] [--isa NAME]
                                             N random configurations: fused against the for-loop, bit for bit
                  finetune --model MODEL.pt --data DATA.pt --steps N [--lr X] [--weight-decay W] [--decoupled]
                           [--impl forloop|foreach|fused] [--resume CKPT.pt] --out CKPT.pt
                                             fine-tune a TorchScript model on mse_loss; saves {"model", "optimizer"}
                  lr-parity OUT.json         replay learning-rate schedules recorded by scripts/record_lr_schedulers.py
                  launch --nproc N CLASS ARGS...
                                             run CLASS on N local ranks (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT)
                  dist-bench [--elements M] [--steps S] [--rounds R] [--timeout-s T] [--python EXE|none] [--failures yes|no]
                                             DDP + ZeRO RAdam on 1, 2, 3 ranks beside PyTorch's; a killed, a stopped rank
                  checkpoint show FILE       what a .pt holds: keys, types, dtypes, shapes, sizes, shared storages
                  checkpoint copy IN OUT     load a .pt and save it again
                  checkpoint bench [--gb G | --tensors N] [--dir DIR]
                                             a G GB checkpoint (default 3) Java -> Python -> Java with a 256 MB heap;
                                             --tensors N: load times of N small tensors, Java against Python
                  convert-golden IN.json OUT.pt
                                             the golden JSON's trajectory cases as a recording (docs/recording-format.md)
                  parity [--impl auto|forloop|foreach|fused] [--save-state-dicts DIR] FILE.json|RECORDING.pt...
                                             replay PyTorch-recorded trajectories and report per case""");
    }

    static int lrParity(List<String> args) throws Exception {
        if (args.size() != 1) {
            System.err.println("usage: scripts/radam4j lr-parity OUT.json (written by scripts/record_lr_schedulers.py)");
            return 2;
        }
        List<org.radam4j.parity.LrParity.Result> results = org.radam4j.parity.LrParity.run(
                org.radam4j.parity.LrParity.read(new File(args.get(0))));
        int passed = 0;
        int failed = 0;
        for (org.radam4j.parity.LrParity.Result r : results) {
            System.out.println(r.name() + ": " + r.verdict());
            if (r.passed()) {
                passed++;
            } else if (!r.skipped()) {
                failed++;
            }
        }
        System.out.println(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }

    static int parity(List<String> args) throws Exception {
        Impl impl = Impl.AUTO;
        List<File> files = new ArrayList<>();
        String saveDir = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--impl") || a.equals("--save-state-dicts")) {
                if (i + 1 >= args.size()) {
                    System.err.println("radam4j parity: " + a + " needs a value");
                    return 2;
                }
                String v = args.get(++i);
                if (a.equals("--impl")) {
                    try {
                        impl = Impl.parse(v);
                    } catch (IllegalArgumentException e) {
                        System.err.println("radam4j parity: " + e.getMessage());
                        return 2;
                    }
                } else {
                    saveDir = v;
                }
            } else if (a.startsWith("--impl=")) {
                impl = Impl.parse(a.substring(7));
            } else if (a.startsWith("--")) {
                System.err.println("radam4j parity: unknown option " + a);
                return 2;
            } else {
                files.add(new File(a));
            }
        }
        if (files.isEmpty()) {
            System.err.println("radam4j parity: no golden file or recording given");
            return 2;
        }
        java.nio.file.Path save = null;
        if (saveDir != null) {
            save = java.nio.file.Path.of(saveDir);
            java.nio.file.Files.createDirectories(save);
        }
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        for (File f : files) {
            if (!f.isFile()) {
                System.out.println(f + ": FAIL no such file");
                failed++;
                continue;
            }
            if (f.getName().endsWith(".pt")) {
                List<org.radam4j.io.Recordings.Verdict> verdicts;
                try {
                    verdicts = org.radam4j.io.Recordings.replay(f.toPath(), impl == Impl.AUTO ? null : impl.name().toLowerCase(java.util.Locale.ROOT));
                } catch (java.io.IOException | RuntimeException e) {
                    System.out.println(f + ": FAIL " + e.getMessage());
                    failed++;
                    continue;
                }
                for (org.radam4j.io.Recordings.Verdict v : verdicts) {
                    System.out.println(v);
                    if (v.passed()) {
                        passed++;
                    } else {
                        failed++;
                    }
                }
                continue;
            }
            List<Outcome> outcomes;
            ParityRunner runner = new ParityRunner(new ParityRunner.Settings(impl, save,
                    f.getAbsoluteFile().getParentFile().toPath()));
            try {
                outcomes = runner.run(ParityRunner.read(f), o -> System.out.println(o.line()));
            } catch (IllegalArgumentException e) {
                System.out.println(f + ": FAIL " + e.getMessage());
                failed++;
                continue;
            }
            for (Outcome o : outcomes) {
                if (o.passed()) {
                    passed++;
                } else if (o.status() == Outcome.Status.SKIPPED) {
                    skipped++;
                } else {
                    failed++;
                }
            }
        }
        System.out.println(passed + " passed, " + failed + " failed, " + skipped + " skipped");
        return failed > 0 ? 1 : 0;
    }
}
