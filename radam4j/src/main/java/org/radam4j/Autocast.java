package org.radam4j;

import java.util.logging.Logger;

import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * {@code with torch.autocast(device_type, dtype=..., enabled=..., cache_enabled=...):} as a try-with-resources
 * scope, PyTorch 2.x's {@code torch.autocast.__enter__} and {@code __exit__} over libtorch's autocast state (which
 * is per thread): on entry the previous enabled flag, dtype and cache flag of the device are kept and the new ones
 * set, and the nesting count rises; {@link #close()} restores them and clears the cast cache when it leaves the
 * outermost scope. Scopes nest as Python's do, and must be closed on the thread that opened them, in reverse order.
 *
 * <pre>{@code
 * try (Autocast ac = Autocast.enter("cpu", ScalarType.BFloat16)) {
 *     Tensor loss = mse_loss(model.forward(x), y);      // matmuls in bfloat16, as under torch.autocast
 * }
 * }</pre>
 *
 * <p>As PyTorch: a CPU dtype other than bfloat16 or float16 logs PyTorch's warning and disables the scope; CUDA
 * without a CUDA device logs a warning and disables it; an unknown device type is an
 * {@link IllegalStateException} (its {@code RuntimeError}).
 */
public final class Autocast implements AutoCloseable {

    static {
        Libtorch.load();
    }

    private static final Logger LOG = Logger.getLogger(Autocast.class.getName());

    private final DeviceType device;
    private final Thread owner = Thread.currentThread();
    private final boolean prevEnabled;
    private final ScalarType prevDtype;
    private final boolean prevCacheEnabled;
    private boolean closed;

    private Autocast(DeviceType device, ScalarType dtype, boolean enabled, boolean cacheEnabled) {
        this.device = device;
        prevCacheEnabled = torch.is_autocast_cache_enabled();
        prevEnabled = torch.is_autocast_enabled(device);
        prevDtype = torch.get_autocast_dtype(device);
        torch.set_autocast_enabled(device, enabled);
        torch.set_autocast_dtype(device, dtype);
        torch.increment_nesting();
        torch.set_autocast_cache_enabled(cacheEnabled);
    }

    /** {@code torch.autocast(deviceType)}: the device's current autocast dtype (CPU: bfloat16; CUDA: float16). */
    public static Autocast enter(String deviceType) {
        return enter(deviceType, null, true, null);
    }

    /** {@code torch.autocast(deviceType, dtype=dtype)}. */
    public static Autocast enter(String deviceType, ScalarType dtype) {
        return enter(deviceType, dtype, true, null);
    }

    /**
     * {@code torch.autocast(deviceType, dtype, enabled, cache_enabled)}; {@code dtype} null for the device's
     * current one, {@code cacheEnabled} null for the current setting.
     */
    public static Autocast enter(String deviceType, ScalarType dtype, boolean enabled, Boolean cacheEnabled) {
        DeviceType device = deviceType(deviceType);
        ScalarType fast = dtype != null ? dtype : torch.get_autocast_dtype(device);
        boolean on = enabled;
        if (device == DeviceType.CPU && on && fast != ScalarType.BFloat16 && fast != ScalarType.Half) {
            LOG.warning("In CPU autocast, but the target dtype is not supported. Disabling autocast.\n"
                    + "CPU Autocast only supports dtype of torch.bfloat16, torch.float16 currently.");
            on = false;
        }
        if (device == DeviceType.CUDA && on && !torch.cuda_is_available()) {
            LOG.warning("User provided device_type of 'cuda', but CUDA is not available. Disabling");
            on = false;
        }
        return new Autocast(device, fast, on, cacheEnabled != null ? cacheEnabled : torch.is_autocast_cache_enabled());
    }

    private static DeviceType deviceType(String name) {
        DeviceType t = switch (name) {
            case "cpu" -> DeviceType.CPU;
            case "cuda" -> DeviceType.CUDA;
            case "xpu" -> DeviceType.XPU;
            case "hpu" -> DeviceType.HPU;
            case "mtia" -> DeviceType.MTIA;
            case "xla" -> DeviceType.XLA;
            case "privateuseone" -> DeviceType.PrivateUse1;
            default -> null;
        };
        if (t == null || !torch.is_autocast_available(t)) {
            throw new IllegalStateException("User specified an unsupported autocast device_type '" + name + "'");
        }
        return t;
    }

    /** Whether autocast is on for {@code deviceType} on this thread now ({@code torch.is_autocast_enabled(device)}). */
    public static boolean isEnabled(String deviceType) {
        return torch.is_autocast_enabled(deviceType(deviceType));
    }

    /**
     * {@code __exit__}: restores the device's previous autocast state; the outermost scope also clears the cast
     * cache. Closing twice does nothing.
     *
     * @throws IllegalStateException when called from another thread than the one that entered
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("an Autocast scope must be closed on the thread that entered it: autocast "
                    + "state is per thread");
        }
        closed = true;
        if (torch.decrement_nesting() == 0) {
            torch.clear_cache();
        }
        torch.set_autocast_enabled(device, prevEnabled);
        torch.set_autocast_dtype(device, prevDtype);
        torch.set_autocast_cache_enabled(prevCacheEnabled);
    }
}
