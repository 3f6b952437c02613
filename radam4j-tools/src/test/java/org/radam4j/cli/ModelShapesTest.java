package org.radam4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ModelShapesTest {

    /**
     * The parameter lists match the models' published sizes: Hugging Face's bert-base-uncased BertModel
     * (109,482,240 elements in 199 tensors), torchvision's resnet50 (25,557,032 in 161) and Hugging Face's gpt2
     * GPT2Model (124,439,808 in 148).
     */
    @Test
    void theParameterListsHaveThePublishedSizes() {
        Map<String, long[]> all = ModelShapes.all();
        assertEquals(109_482_240L, Arrays.stream(all.get("bert-base")).sum());
        assertEquals(199, all.get("bert-base").length);
        assertEquals(25_557_032L, Arrays.stream(all.get("resnet50")).sum());
        assertEquals(161, all.get("resnet50").length);
        assertEquals(124_439_808L, Arrays.stream(all.get("gpt2")).sum());
        assertEquals(148, all.get("gpt2").length);
    }

    @Test
    void aModelIsTwoRowsAndAnUnknownOneIsRefused() {
        assertEquals(2, ModelShapes.rows("gpt2").size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelShapes.rows("llama"));
        assertEquals("unknown model llama (bert-base, resnet50, gpt2)", e.getMessage());
    }
}
