package org.radam4j;

import org.radam4j.internal.Dtypes;

import static org.bytedeco.pytorch.global.torch.empty_like;
import static org.bytedeco.pytorch.global.torch.get_default_dtype_as_scalartype;
import static org.bytedeco.pytorch.global.torch.has_internal_overlap;
import static org.bytedeco.pytorch.global.torch.zeros;

import java.util.Arrays;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorBase;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch.MemOverlap;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.radam4j.internal.Handles;

/** Small tensor facts and helpers the optimizer core needs, in one place. */
final class Tensors {

    private Tensors() {
    }

    /** {@link Handles#keep}: the handle stays valid after the caller's {@code PointerScope} closes. */
    static <P extends Pointer> P keep(P t) {
        return Handles.keep(t);
    }

    /**
     * A key that is the same for every Java handle of one tensor: its TensorImpl's address. An
     * {@code at::Tensor} is one {@code intrusive_ptr<TensorImpl>}, a single pointer, so the key is the word the
     * handle points to; read so, it costs one small JNI call rather than {@code unsafeGetTensorImpl()}'s
     * object creation (about 0.35 us, which a step over thousands of small params pays per param).
     */
    static long identity(Tensor t) {
        return new Word(t.address() + t.position() * t.sizeof()).get();
    }

    /** One native word at an address, read without owning it (JavaCPP's copy constructor would share ownership). */
    private static final class Word extends LongPointer {
        Word(long address) {
            this.address = address;
        }
    }

    /**
     * The param's gradient, or {@code null} when it has none: a reference to the param's own gradient field (no
     * new handle, so nothing to free), valid until the gradient is reassigned.
     */
    static Tensor gradOf(Tensor p) {
        Tensor ref = p.grad();
        if (ref == null || ref.isNull() || !ref.defined()) {
            return null;
        }
        return ref;
    }

    /**
     * PyTorch's {@code _get_scalar_dtype()}, the dtype of a step counter: float64 when the default dtype is
     * float64, else float32.
     */
    static ScalarType scalarDtype() {
        return get_default_dtype_as_scalartype().intern() == ScalarType.Double ? ScalarType.Double : ScalarType.Float;
    }

    /**
     * Why libtorch would refuse to update {@code p} in place during a step, with libtorch's message, or
     * {@code null} when it would not: an inference tensor outside inference mode, a leaf (or a view of one) that
     * requires grad when the step records autograd ({@code differentiable}), or a tensor whose elements share
     * memory (an expanded tensor). Checked for every param before a step changes anything.
     *
     * @param inferenceMode whether the step runs in inference mode, read on the stepping thread (it is
     *     thread-local, and this may run on another)
     */
    static String inPlaceRefusal(Tensor p, ParamFacts pf, boolean gradMode, boolean inferenceMode) {
        if (p.is_inference() && !inferenceMode) {
            return "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a "
                    + "normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details.";
        }
        if (gradMode && p.requires_grad()) {
            if (p.is_leaf()) {
                return "a leaf Variable that requires grad is being used in an in-place operation.";
            }
            if (p.is_view()) {
                TensorBase base = p._base();
                if (base.is_leaf() && base.requires_grad()) {
                    return "a view of a leaf Variable that requires grad is being used in an in-place operation.";
                }
            }
        }
        if (!pf.contiguous() && has_internal_overlap(p).intern() == MemOverlap.Yes) {
            return "unsupported operation: more than one element of the written-to tensor refers to a single memory "
                    + "location. Please clone() the tensor before performing the operation.";
        }
        return null;
    }

    /** Why {@code grad} cannot be the gradient of {@code p}, or {@code null} when it can. */
    static String gradMismatch(Tensor p, ParamFacts pf, Tensor g) {
        if (Dtypes.of(g) != pf.dtype()) {
            return "has dtype " + Dtypes.name(g) + " but the param has dtype " + Dtypes.name(p);
        }
        if (!(g.is_cpu() && pf.cpu()) && !deviceName(g).equals(deviceName(p))) {
            return "is on device " + deviceName(g) + " but the param is on device " + deviceName(p);
        }
        long dim = pf.dim();
        boolean same = g.dim() == dim;
        for (long d = 0; same && d < dim; d++) {
            same = g.size(d) == p.size(d);
        }
        if (!same) {
            return "has shape " + Arrays.toString(g.sizes().vec().get()) + " but the param has shape "
                    + Arrays.toString(p.sizes().vec().get());
        }
        return null;
    }


    /** The device as PyTorch prints it: {@code cpu}, {@code cuda:0}, {@code meta}. */
    static String deviceName(Tensor t) {
        try (Device d = t.device()) {
            return d.str().getString();
        }
    }

    /** The device type as PyTorch names it: {@code cpu}, {@code cuda}, {@code meta}. */
    static String deviceType(Tensor t) {
        if (t.is_cpu()) {
            return "cpu";
        }
        String n = deviceName(t);
        int colon = n.indexOf(':');
        return colon < 0 ? n : n.substring(0, colon);
    }

    /** {@code torch.tensor(0.0, dtype=float32)} on the CPU, or {@code torch.zeros((), dtype=float32, device=d)}. */
    static Tensor zeroStep(Device device) {
        try (TensorOptions o = new TensorOptions(scalarDtype())) {
            if (device != null) {
                try (DeviceOptional d = new DeviceOptional(device); TensorOptions od = o.device(d)) {
                    return zeros(new long[0], od);
                }
            }
            return zeros(new long[0], o);
        }
    }

    /** {@code torch.zeros_like(p, memory_format=torch.preserve_format)}. */
    static Tensor zerosLike(Tensor p) {
        Tensor t = empty_like(p);
        t.zero_();
        return t;
    }

    /** PyTorch's per-param {@code zero_grad} logic. */
    static void zeroGrad(Tensor p, boolean setToNone) {
        Tensor g = gradOf(p);
        if (g == null) {
            return;
        }
        try (g) {
            if (setToNone) {
                p.mutable_grad().reset();
            } else {
                if (!g.is_leaf()) {
                    g.detach_();
                } else {
                    g.requires_grad_(false);
                }
                g.zero_();
            }
        }
    }

    /** Python's {@code torch.typename(t)}: {@code torch.FloatTensor}, {@code torch.cuda.DoubleTensor}, ... */
    static String typename(Tensor t) {
        String base = switch (Dtypes.of(t)) {
            case Float -> "Float";
            case Double -> "Double";
            case Half -> "Half";
            case BFloat16 -> "BFloat16";
            case ComplexFloat -> "ComplexFloat";
            case ComplexDouble -> "ComplexDouble";
            case Long -> "Long";
            case Int -> "Int";
            case Short -> "Short";
            case Char -> "Char";
            case Byte -> "Byte";
            case Bool -> "Bool";
            default -> Dtypes.of(t).name();
        };
        String type = deviceType(t);
        return "torch." + (type.equals("cpu") ? "" : type + ".") + base + "Tensor";
    }
}
