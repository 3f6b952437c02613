package org.radam4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.radam4j.NativeScope;
import org.radam4j.PyTuple;

/** OrderedDict (with its attributes), Parameter and torch.Size keep their types through a save and a load. */
@ExtendWith(NativeScope.class)
class PythonTypesTest {

    @Test
    void typesSurviveARoundTrip(@TempDir Path dir) throws Exception {
        OrderedDict sd = new OrderedDict();
        sd.put("weight", new Parameter(torch.ones(2, 3).requires_grad_(true)));
        sd.put("running_mean", torch.zeros(3));
        OrderedDict versions = new OrderedDict();
        versions.put("", Map.of("version", 2L));
        sd.attributes().put("_metadata", versions);
        Map<String, Object> ckpt = new LinkedHashMap<>();
        ckpt.put("model", sd);
        ckpt.put("size", TorchSize.of(2, 3));
        ckpt.put("plain", new LinkedHashMap<>(Map.of("a", 1L)));
        ckpt.put("tupleKeys", new LinkedHashMap<>(Map.of(PyTuple.of(1L, PyTuple.of("a", 2.5)), "v")));
        Path f = dir.resolve("types.pt");
        TorchFiles.save(ckpt, f);

        Map<?, ?> back = (Map<?, ?>) TorchFiles.load(f);
        OrderedDict model = assertInstanceOf(OrderedDict.class, back.get("model"));
        assertEquals(versions, model.attributes().get("_metadata"));
        assertInstanceOf(OrderedDict.class, model.attributes().get("_metadata"));
        Parameter w = assertInstanceOf(Parameter.class, model.get("weight"));
        assertTrue(w.requires_grad());
        assertEquals(6.0, w.sum().item_double());
        Tensor mean = (Tensor) model.get("running_mean");
        assertFalse(mean instanceof Parameter);
        TorchSize size = assertInstanceOf(TorchSize.class, back.get("size"));
        assertEquals(List.of(2L, 3L), size);
        assertEquals(PyTuple.of(2L, 3L), size);
        assertFalse(back.get("plain") instanceof OrderedDict);
        assertEquals(Map.of(PyTuple.of(1L, PyTuple.of("a", 2.5)), "v"), back.get("tupleKeys"));
    }
}
