#!/usr/bin/env python3
"""Writes the parameter lists of BERT-base, ResNet-50 and GPT-2 small (name and shape of every parameter, in
registration order) for `scripts/radam4j bench --model NAME`, from the three architectures' definitions:
BERT-base (Devlin et al. 2018; Hugging Face's BertModel with its pooler, vocabulary 30522), ResNet-50 (He et al.
2015; torchvision's resnet50 with its BatchNorm weights and biases) and GPT-2 small (Radford et al. 2019; Hugging
Face's GPT2Model, vocabulary 50257, context 1024). No PyTorch needed.

    python3 scripts/model-shapes.py > radam4j-tools/src/main/resources/org/radam4j/cli/models.txt
"""


def bert_base():
    h, inter, layers = 768, 3072, 12
    yield "embeddings.word_embeddings.weight", (30522, h)
    yield "embeddings.position_embeddings.weight", (512, h)
    yield "embeddings.token_type_embeddings.weight", (2, h)
    yield "embeddings.LayerNorm.weight", (h,)
    yield "embeddings.LayerNorm.bias", (h,)
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for m in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            yield p + m + ".weight", (h, h)
            yield p + m + ".bias", (h,)
        yield p + "attention.output.LayerNorm.weight", (h,)
        yield p + "attention.output.LayerNorm.bias", (h,)
        yield p + "intermediate.dense.weight", (inter, h)
        yield p + "intermediate.dense.bias", (inter,)
        yield p + "output.dense.weight", (h, inter)
        yield p + "output.dense.bias", (h,)
        yield p + "output.LayerNorm.weight", (h,)
        yield p + "output.LayerNorm.bias", (h,)
    yield "pooler.dense.weight", (h, h)
    yield "pooler.dense.bias", (h,)


def resnet50():
    def bn(name, c):
        yield name + ".weight", (c,)
        yield name + ".bias", (c,)

    yield "conv1.weight", (64, 3, 7, 7)
    yield from bn("bn1", 64)
    inplanes = 64
    for layer, (planes, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)], start=1):
        for b in range(blocks):
            p = f"layer{layer}.{b}."
            yield p + "conv1.weight", (planes, inplanes, 1, 1)
            yield from bn(p + "bn1", planes)
            yield p + "conv2.weight", (planes, planes, 3, 3)
            yield from bn(p + "bn2", planes)
            yield p + "conv3.weight", (planes * 4, planes, 1, 1)
            yield from bn(p + "bn3", planes * 4)
            if b == 0:
                yield p + "downsample.0.weight", (planes * 4, inplanes, 1, 1)
                yield from bn(p + "downsample.1", planes * 4)
            inplanes = planes * 4
    yield "fc.weight", (1000, 2048)
    yield "fc.bias", (1000,)


def gpt2_small():
    h, layers = 768, 12
    yield "wte.weight", (50257, h)
    yield "wpe.weight", (1024, h)
    for i in range(layers):
        p = f"h.{i}."
        yield p + "ln_1.weight", (h,)
        yield p + "ln_1.bias", (h,)
        yield p + "attn.c_attn.weight", (h, 3 * h)
        yield p + "attn.c_attn.bias", (3 * h,)
        yield p + "attn.c_proj.weight", (h, h)
        yield p + "attn.c_proj.bias", (h,)
        yield p + "ln_2.weight", (h,)
        yield p + "ln_2.bias", (h,)
        yield p + "mlp.c_fc.weight", (h, 4 * h)
        yield p + "mlp.c_fc.bias", (4 * h,)
        yield p + "mlp.c_proj.weight", (4 * h, h)
        yield p + "mlp.c_proj.bias", (h,)
    yield "ln_f.weight", (h,)
    yield "ln_f.bias", (h,)


if __name__ == "__main__":
    print("# Written by scripts/model-shapes.py: model, parameter name, shape (registration order).")
    for model, params in (("bert-base", bert_base()), ("resnet50", resnet50()), ("gpt2", gpt2_small())):
        for name, shape in params:
            print(model, name, "x".join(map(str, shape)))
