package org.radam4j.parity;

import static org.bytedeco.pytorch.global.torch.ones;
import static org.bytedeco.pytorch.global.torch.randn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.radam4j.ParamGroupSpec;
import org.radam4j.RAdam;
import org.radam4j.RAdamOptions;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The Java counterpart of each error case of a golden file ({@code errors}: name, the Python exception class
 * or null, its message). Each name maps to the same misuse done through radam4j's API; the outcome is
 * {@code matched} when radam4j throws the mapped Java exception ({@code ValueError}/{@code TypeError} →
 * {@link IllegalArgumentException}, {@code RuntimeError}/{@code AssertionError} → {@link IllegalStateException},
 * {@code UserWarning} → a logged warning) with PyTorch's message. Python's bare {@code KeyError: 'params'}
 * matches a message that names the key.
 */
final class ErrorScenarios {

    private static final Map<String, Supplier<Object>> SCENARIOS = new LinkedHashMap<>();

    static {
        SCENARIOS.put("lr_negative", () -> RAdamOptions.builder().lr(-1.0).build());
        SCENARIOS.put("eps_negative", () -> RAdamOptions.builder().eps(-1e-8).build());
        SCENARIOS.put("beta1_one", () -> RAdamOptions.builder().betas(1.0, 0.999).build());
        SCENARIOS.put("beta2_one", () -> RAdamOptions.builder().betas(0.9, 1.0).build());
        SCENARIOS.put("beta1_negative", () -> RAdamOptions.builder().betas(-0.1, 0.999).build());
        SCENARIOS.put("weight_decay_negative", () -> RAdamOptions.builder().weightDecay(-0.1).build());
        SCENARIOS.put("lr_tensor_two_elements", () -> RAdamOptions.builder().lr(ones(2)).build());
        SCENARIOS.put("sparse_grad", () -> {
            Tensor p = param();
            p.mutable_grad().put(ones(3, 2).to_sparse());
            new RAdam(List.of(p), RAdamOptions.defaults()).step();
            return null;
        });
        SCENARIOS.put("foreach_and_differentiable", () -> {
            Tensor p = param();
            p.mutable_grad().put(ones(3, 2));
            new RAdam(List.of(p), RAdamOptions.builder().foreach(true).differentiable(true).build()).step();
            return null;
        });
        SCENARIOS.put("capturable_on_cpu", () -> {
            Tensor p = param();
            p.mutable_grad().put(ones(3, 2));
            new RAdam(List.of(p), RAdamOptions.builder().capturable(true).build()).step();
            return null;
        });
        SCENARIOS.put("params_single_tensor", () -> RAdam.create(param(), RAdamOptions.defaults()));
        SCENARIOS.put("params_empty", () -> new RAdam(List.<Tensor>of(), RAdamOptions.defaults()));
        SCENARIOS.put("non_leaf", () -> new RAdam(List.of(param().mul(new Scalar(2.0))), RAdamOptions.defaults()));
        SCENARIOS.put("param_in_two_groups", () -> {
            Tensor p = param();
            return new RAdam(List.of(ParamGroupSpec.of(p), ParamGroupSpec.of(p, param())), RAdamOptions.defaults());
        });
        SCENARIOS.put("duplicate_in_group", () -> {
            Tensor p = param();
            return new RAdam(List.of(p, p), RAdamOptions.defaults());
        });
        SCENARIOS.put("named_and_unnamed_groups", () -> {
            Map<String, Tensor> named = new LinkedHashMap<>();
            named.put("w", param());
            RAdam opt = new RAdam(named, RAdamOptions.defaults());
            opt.addParamGroup(ParamGroupSpec.of(param()));
            return opt;
        });
        SCENARIOS.put("load_state_dict_group_count", () -> {
            RAdam one = new RAdam(List.of(param()), RAdamOptions.defaults());
            RAdam two = new RAdam(List.of(ParamGroupSpec.of(param()), ParamGroupSpec.of(param())), RAdamOptions.defaults());
            one.loadStateDict(two.stateDict());
            return null;
        });
        SCENARIOS.put("load_state_dict_group_size", () -> {
            RAdam one = new RAdam(List.of(param()), RAdamOptions.defaults());
            RAdam two = new RAdam(List.of(param(), param()), RAdamOptions.defaults());
            one.loadStateDict(two.stateDict());
            return null;
        });
        SCENARIOS.put("unknown_group_key_allowed", () -> {
            RAdam opt = new RAdam(List.of(ParamGroupSpec.of(param()).set("custom_key", 1)), RAdamOptions.defaults());
            return opt.paramGroups().get(0).extras().get("custom_key");
        });
        SCENARIOS.put("group_without_params", () -> {
            Map<String, Object> group = new LinkedHashMap<>();
            group.put("lr", 0.1);
            return RAdam.create(List.of(group), RAdamOptions.defaults());
        });
    }

    private ErrorScenarios() {
    }

    private static Tensor param() {
        Tensor p = randn(3, 2);
        p.requires_grad_(true);
        return p;
    }

    /** The error names this class can replay. */
    static List<String> names() {
        return new ArrayList<>(SCENARIOS.keySet());
    }

    static Outcome run(JsonNode e) {
        String name = e.path("name").asText("<unnamed>");
        String label = "error:" + name;
        Supplier<Object> scenario = SCENARIOS.get(name);
        if (scenario == null) {
            return new Outcome(label, Outcome.Status.SKIPPED, "no Java scenario for this error name");
        }
        String raised = e.path("raised").isNull() ? null : e.path("raised").asText();
        String message = e.path("message").asText("");

        List<String> warnings = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                warnings.add(r.getMessage());
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger(RAdam.class.getName());
        boolean parents = logger.getUseParentHandlers();
        logger.setUseParentHandlers(false);
        logger.addHandler(capture);
        RuntimeException thrown = null;
        try (PointerScope scope = new PointerScope()) {
            scenario.get();
        } catch (RuntimeException ex) {
            thrown = ex;
        } finally {
            logger.removeHandler(capture);
            logger.setUseParentHandlers(parents);
        }

        if (raised == null) {
            return thrown == null ? new Outcome(label, Outcome.Status.MATCHED, "")
                    : new Outcome(label, Outcome.Status.FAIL, "expected no error vs got " + describe(thrown));
        }
        if (raised.equals("UserWarning")) {
            if (thrown != null) {
                return new Outcome(label, Outcome.Status.FAIL, "expected warning '" + message + "' vs got " + describe(thrown));
            }
            return warnings.contains(message) ? new Outcome(label, Outcome.Status.MATCHED, "")
                    : new Outcome(label, Outcome.Status.FAIL, "expected warning '" + message + "' vs got warnings " + warnings);
        }
        Class<? extends RuntimeException> expected = switch (raised) {
            case "ValueError", "TypeError", "KeyError" -> IllegalArgumentException.class;
            case "RuntimeError", "AssertionError" -> IllegalStateException.class;
            default -> RuntimeException.class;
        };
        if (thrown == null) {
            return new Outcome(label, Outcome.Status.FAIL, "expected " + raised + " '" + message + "' vs got no error");
        }
        boolean messageOk = raised.equals("KeyError") ? thrown.getMessage() != null && thrown.getMessage().contains(message)
                : message.equals(thrown.getMessage());
        if (expected.isInstance(thrown) && messageOk) {
            return new Outcome(label, Outcome.Status.MATCHED, "");
        }
        return new Outcome(label, Outcome.Status.FAIL, "expected " + expected.getSimpleName() + " '" + message + "' vs got "
                + describe(thrown));
    }

    private static String describe(RuntimeException e) {
        return e.getClass().getSimpleName() + " '" + e.getMessage() + "'";
    }
}
