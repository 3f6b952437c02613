package org.radam4j;

import java.util.List;

import org.bytedeco.pytorch.Dispatcher;
import org.bytedeco.pytorch.GenericList;
import org.bytedeco.pytorch.IValue;
import org.bytedeco.pytorch.IValueVector;
import org.bytedeco.pytorch.OperatorHandle;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Type;

/**
 * The {@code aten::_foreach_*} operators, which the JavaCPP presets expose only through the dispatcher: each
 * handle is looked up once, and a call boxes its arguments (tensor lists as {@code GenericList}s typed with the
 * schema's own element types) onto a stack. Callers run inside a {@code PointerScope}, which frees the boxes.
 */
final class ForeachOps {

    /** One overload of one operator. */
    record Op(OperatorHandle handle, String name) {

        /** Calls the operator with every schema argument in order; returns its results (empty for in-place ops). */
        IValueVector call(IValue... args) {
            IValueVector stack = new IValueVector();
            for (IValue a : args) {
                stack.push_back(a);
            }
            handle.callBoxed(stack);
            return stack;
        }

        /** Calls an out-of-place operator and returns its result, a tensor list, boxed for the next call. */
        IValue callForList(IValue... args) {
            return new IValue(call(args).get(0));
        }

        /** Calls an out-of-place operator and returns its tensor list. */
        TensorVector callForTensors(IValue... args) {
            return call(args).get(0).toTensorVector();
        }
    }

    static final Op ADD_SCALAR_ = op("aten::_foreach_add_", "Scalar");
    static final Op ADD_TENSOR_ = op("aten::_foreach_add_", "Tensor");
    static final Op ADD_LIST = op("aten::_foreach_add", "List");
    static final Op ADD_LIST_ = op("aten::_foreach_add_", "List");
    static final Op ADD_SCALARLIST_ = op("aten::_foreach_add_", "ScalarList");
    static final Op NEG = op("aten::_foreach_neg", "");
    static final Op MUL_SCALAR_ = op("aten::_foreach_mul_", "Scalar");
    static final Op MUL_TENSOR_ = op("aten::_foreach_mul_", "Tensor");
    static final Op LERP_SCALAR_ = op("aten::_foreach_lerp_", "Scalar");
    static final Op ADDCMUL_SCALAR_ = op("aten::_foreach_addcmul_", "Scalar");
    static final Op SQRT = op("aten::_foreach_sqrt", "");
    static final Op DIV_SCALARLIST_ = op("aten::_foreach_div_", "ScalarList");
    static final Op DIV_LIST_ = op("aten::_foreach_div_", "List");
    static final Op RECIPROCAL_ = op("aten::_foreach_reciprocal_", "");
    static final Op POW_SCALAR_AND_TENSOR = op("aten::_foreach_pow", "ScalarAndTensor");
    static final Op NEG_ = op("aten::_foreach_neg_", "");
    static final Op MUL_LIST_ = op("aten::_foreach_mul_", "List");
    static final Op MUL_SCALAR = op("aten::_foreach_mul", "Scalar");
    static final Op SUB_SCALAR = op("aten::_foreach_sub", "Scalar");
    static final Op SQRT_ = op("aten::_foreach_sqrt_", "");

    private static final Type.TypePtr TENSOR_TYPE = Tensors.keep(
            Tensors.keep(ADD_SCALAR_.handle().schema().arguments().position(0).type()).get().containedType(0));
    private static final Type.TypePtr SCALAR_TYPE = Tensors.keep(
            Tensors.keep(DIV_SCALARLIST_.handle().schema().arguments().position(1).type()).get().containedType(0));

    private ForeachOps() {
    }

    static Op op(String name, String overload) {
        return new Op(Tensors.keep(Dispatcher.singleton().findSchemaOrThrow(name, overload)),
                name + (overload.isEmpty() ? "" : "." + overload));
    }

    static IValue tensors(List<Tensor> list) {
        GenericList l = new GenericList(TENSOR_TYPE);
        for (Tensor t : list) {
            l.push_back(new IValue(t));
        }
        return new IValue(l);
    }

    static IValue scalars(double[] values) {
        GenericList l = new GenericList(SCALAR_TYPE);
        for (double v : values) {
            l.push_back(new IValue(new Scalar(v)));
        }
        return new IValue(l);
    }

    static IValue scalar(double v) {
        return new IValue(new Scalar(v));
    }

    static IValue scalar(long v) {
        return new IValue(new Scalar(v));
    }

    static IValue tensor(Tensor t) {
        return new IValue(t);
    }

    static List<Tensor> list(TensorVector v) {
        return List.of(v.get());
    }
}
