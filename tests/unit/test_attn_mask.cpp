// nn.MultiheadAttention's attn_mask (model/attn_mask.h): invariants any correct masking has, the
// trace's mask steps, and the errors for masks that do not fit. The numbers against torch itself
// are checked live (tests/torch/live_compare.py, the attn_* cases).
#include "errors.h"
#include "io/npy.h"
#include "model/attn_mask.h"
#include "model/forward.h"
#include "model/ops.h"
#include "model/random.h"
#include "pipeline/scene.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace attn;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

Tensor random_tensor(Shape shape, uint64_t seed) {
    Random rng(seed);
    Tensor t(std::move(shape));
    for (float& v : t.data)
        v = rng.normal();
    return t;
}

ModuleConfig mha(int64_t emb, int64_t heads) {
    ModuleConfig c;
    c.kind = ModuleKind::TorchMHA;
    c.emb_dim = emb;
    c.heads = heads;
    return c;
}

// Keys [length, seq) of each batch item are padding; key 0 never is.
Tensor padding(const std::vector<int64_t>& lengths, int64_t seq) {
    Tensor m({static_cast<int64_t>(lengths.size()), seq}, 0.0f, DType::Bool);
    for (size_t i = 0; i < lengths.size(); ++i)
        for (int64_t j = lengths[i]; j < seq; ++j)
            m.data[i * seq + j] = 1.0f;
    return m;
}

float at(const Tensor& t, int64_t i, int64_t h, int64_t r, int64_t j) {
    return t.data[static_cast<size_t>(((i * t.dim(1) + h) * t.dim(2) + r) * t.dim(3) + j)];
}

void expect_same_weights(const Tensor& a, const Tensor& b) {
    ASSERT_EQ(a.shape, b.shape);
    for (int64_t n = 0; n < a.numel(); ++n) {
        const float x = a.data[static_cast<size_t>(n)], y = b.data[static_cast<size_t>(n)];
        if (std::isnan(x) || std::isnan(y)) {
            EXPECT_TRUE(std::isnan(x) && std::isnan(y)) << "element " << n << ": " << x << " vs " << y;
        } else {
            EXPECT_EQ(x, y) << "element " << n;
        }
    }
}

}  // namespace

TEST(AttnMask, CausalRowsAreZeroAboveTheDiagonalAndSumToOne) {
    for (int64_t heads = 1; heads <= 4; ++heads)
        for (bool padded : {false, true}) {
            const ModuleConfig c = mha(8 * heads, heads);
            ModuleInputs in;
            in.x = random_tensor({3, 6, c.emb_dim}, 40 + heads);
            in.causal = true;
            if (padded) in.pad_mask = padding({6, 4, 2}, 6);
            const Trace t = forward(c, init_weights(c, 3), in);
            const Tensor& a = t.attn();  // [b, heads, L, S]
            for (int64_t i = 0; i < 3; ++i)
                for (int64_t h = 0; h < heads; ++h)
                    for (int64_t r = 0; r < 6; ++r) {
                        double sum = 0.0;
                        for (int64_t j = 0; j < 6; ++j) {
                            const float w = at(a, i, h, r, j);
                            sum += w;
                            if (j > r || (padded && in.pad_mask->data[i * 6 + j] != 0.0f)) {
                                EXPECT_EQ(w, 0.0f) << "item " << i << " head " << h << " row " << r << " key " << j;
                            } else {
                                EXPECT_GT(w, 0.0f);
                            }
                        }
                        EXPECT_NEAR(sum, 1.0, 1e-5) << "item " << i << " head " << h << " row " << r;
                    }
        }
}

TEST(AttnMask, BoolCausalAndTheFloatMaskOfGenerateSquareSubsequentMaskGiveTheSameWeights) {
    const ModuleConfig c = mha(12, 3);
    const Weights w = init_weights(c, 8);
    ModuleInputs causal;
    causal.x = random_tensor({2, 5, 12}, 9);
    causal.pad_mask = padding({5, 3}, 5);
    causal.causal = true;
    // nn.Transformer.generate_square_subsequent_mask(5): -inf above the diagonal, 0 elsewhere.
    ModuleInputs as_float = causal;
    as_float.causal = false;
    as_float.attn_mask = Tensor({5, 5});
    for (int64_t r = 0; r < 5; ++r)
        for (int64_t j = r + 1; j < 5; ++j)
            as_float.attn_mask->data[r * 5 + j] = -kInf;
    expect_same_weights(forward(c, w, causal).attn(), forward(c, w, as_float).attn());
    EXPECT_EQ(causal_mask(2, 4).data, (FloatStore{0, 1, 1, 1, 0, 0, 1, 1}));  // triu(diagonal=1) of [2, 4]
}

TEST(AttnMask, ATwoDimensionalMaskIsTheThreeDimensionalOneRepeatedOverBatchAndHeads) {
    const int64_t b = 2, H = 2, L = 4, S = 4;
    const ModuleConfig c = mha(8, H);
    const Weights w = init_weights(c, 1);
    for (DType dtype : {DType::Bool, DType::F32}) {
        ModuleInputs flat;
        flat.x = random_tensor({b, L, 8}, 2);
        Tensor m = random_tensor({L, S}, 3);
        if (dtype == DType::Bool) {
            for (float& v : m.data)
                v = v > 0.3f ? 1.0f : 0.0f;
            m.data[0] = 0.0f;
        }
        m.dtype = dtype;
        flat.attn_mask = m;
        ModuleInputs repeated = flat;
        repeated.attn_mask = expand_attn_mask(m, b, H);
        repeated.attn_mask->shape = {b * H, L, S};
        expect_same_weights(forward(c, w, flat).attn(), forward(c, w, repeated).attn());
    }
}

TEST(AttnMask, AnAllFalseMaskChangesNothingAndAFloatMaskIsAdded) {
    const int64_t L = 3, S = 4;
    const ModuleConfig c = mha(8, 2);
    const Weights w = init_weights(c, 4);
    ModuleInputs plain;
    plain.x = random_tensor({1, L, 8}, 5);
    plain.context = random_tensor({1, S, 8}, 6);
    const Tensor base = forward(c, w, plain).attn();

    ModuleInputs none = plain;
    none.attn_mask = Tensor({L, S}, 0.0f, DType::Bool);
    expect_same_weights(base, forward(c, w, none).attn());

    // Adding log 2 to key 0 doubles its unnormalised weight: the ratio to key 1 doubles; a
    // constant added to a whole row changes nothing (softmax is shift invariant).
    ModuleInputs added = plain;
    added.attn_mask = Tensor({L, S});
    for (int64_t r = 0; r < L; ++r) {
        added.attn_mask->data[r * S + 0] = std::log(2.0f) + 5.0f;
        for (int64_t j = 1; j < S; ++j)
            added.attn_mask->data[r * S + j] = 5.0f;
    }
    const Tensor a = forward(c, w, added).attn();
    for (int64_t h = 0; h < 2; ++h)
        for (int64_t r = 0; r < L; ++r) {
            EXPECT_NEAR(at(a, 0, h, r, 0) / at(a, 0, h, r, 1), 2.0 * at(base, 0, h, r, 0) / at(base, 0, h, r, 1), 1e-4);
            EXPECT_NEAR(at(a, 0, h, r, 2) / at(a, 0, h, r, 3), at(base, 0, h, r, 2) / at(base, 0, h, r, 3), 1e-4);
        }
}

TEST(AttnMask, AFullyMaskedRowIsNaNWithInfinityAndUniformWithMinusABillion) {
    const int64_t L = 3, S = 5;
    const ModuleConfig c = mha(8, 2);
    const Weights w = init_weights(c, 7);
    ModuleInputs in;
    in.x = random_tensor({2, L, 8}, 8);
    in.context = random_tensor({2, S, 8}, 9);
    in.attn_mask = Tensor({L, S}, 0.0f, DType::Bool);
    for (int64_t j = 0; j < S; ++j)
        in.attn_mask->data[1 * S + j] = 1.0f;  // query 1 may attend to nothing
    const Tensor nan_rows = forward(c, w, in).attn();
    for (int64_t i = 0; i < 2; ++i)
        for (int64_t h = 0; h < 2; ++h)
            for (int64_t r = 0; r < L; ++r)
                for (int64_t j = 0; j < S; ++j)
                    EXPECT_EQ(std::isnan(at(nan_rows, i, h, r, j)), r == 1) << i << h << r << j;

    // The same row as a float mask of -1e9: every key gets -1e9 (scores under 32 vanish in
    // float's rounding), so the row is uniform, as the seed's -1e9 fill makes it.
    ModuleInputs billion = in;
    billion.attn_mask = attn_mask_as_float(*in.attn_mask, -1e9f);
    const Tensor uniform = forward(c, w, billion).attn();
    for (int64_t i = 0; i < 2; ++i)
        for (int64_t h = 0; h < 2; ++h)
            for (int64_t j = 0; j < S; ++j)
                EXPECT_FLOAT_EQ(at(uniform, i, h, 1, j), 1.0f / S);

    // --mask-fill -1e9 turns the bool mask's True into -1e9 as well.
    ModuleConfig seed_fill = c;
    seed_fill.mask_fill = MaskFill::NegBillion;
    const Tensor also_uniform = forward(seed_fill, w, in).attn();
    for (int64_t j = 0; j < S; ++j)
        EXPECT_FLOAT_EQ(at(also_uniform, 1, 0, 1, j), 1.0f / S);
}

TEST(AttnMask, PaddingAndAttnMaskCombineAsTorchDoes) {
    const int64_t b = 2, H = 2, L = 3, S = 4;
    const ModuleConfig c = mha(8, H);
    const Weights w = init_weights(c, 10);
    ModuleInputs in;
    in.x = random_tensor({b, L, 8}, 11);
    in.context = random_tensor({b, S, 8}, 12);
    in.pad_mask = padding({4, 1}, S);  // item 1 keeps only key 0
    in.attn_mask = Tensor({b * H, L, S}, 0.0f, DType::Bool);
    in.attn_mask->data[((1 * H + 1) * L + 2) * S + 0] = 1.0f;  // item 1, head 1, query 2: not key 0
    in.attn_mask->data[((0 * H + 0) * L + 0) * S + 3] = 1.0f;  // item 0, head 0, query 0: not key 3
    const Trace t = forward(c, w, in);
    const Tensor& a = t.attn();
    EXPECT_EQ(at(a, 0, 0, 0, 3), 0.0f);
    EXPECT_GT(at(a, 0, 1, 0, 3), 0.0f);  // the other head may
    for (int64_t r = 0; r < L; ++r)
        for (int64_t h = 0; h < H; ++h)
            if (!(h == 1 && r == 2)) {
                EXPECT_FLOAT_EQ(at(a, 1, h, r, 0), 1.0f);  // item 1's only key
            }
    EXPECT_TRUE(std::isnan(at(a, 1, 1, 2, 0)));  // padding or'ed with the mask leaves nothing

    // The same with the mask as floats (0 / -inf): masked_fill(key_padding_mask, -inf) instead
    // of logical_or, the same weights.
    ModuleInputs as_float = in;
    as_float.attn_mask = attn_mask_as_float(*in.attn_mask, -kInf);
    expect_same_weights(a, forward(c, w, as_float).attn());
}

TEST(AttnMask, TheTraceShowsEveryMaskStepAndTheMaskedScoresGiveTheWeights) {
    const int64_t b = 2, H = 2, L = 3, S = 3;
    const ModuleConfig c = mha(8, H);
    ModuleInputs in;
    in.x = random_tensor({b, L, 8}, 13);
    in.pad_mask = padding({3, 2}, S);
    in.attn_mask = causal_mask(L, S);
    const Trace t = forward(c, init_weights(c, 14), in);
    std::vector<std::string> names;
    for (const TraceStep& s : t.steps)
        names.push_back(s.name);
    const std::vector<std::string> order = {
        "scaled", "attn_mask", "attn_mask_expanded", "pad_mask", "pad_mask_expanded", "combined_mask", "float_mask",
        "masked", "softmax"};
    auto pos = names.begin();
    for (const std::string& n : order) {
        pos = std::find(pos, names.end(), n);
        ASSERT_NE(pos, names.end()) << "step " << n << " missing or out of order";
    }
    EXPECT_EQ(t.find("attn_mask")->shape.to_string(), "[L, S] = [3, 3]");
    EXPECT_EQ(t.find("attn_mask_expanded")->shape.to_string(), "[b, heads, L, S] = [2, 2, 3, 3]");
    EXPECT_NE(t.find("combined_mask")->code.find("logical_or(key_padding_mask)"), std::string::npos);
    EXPECT_NE(t.find("float_mask")->code.find("masked_fill_(attn_mask, float('-inf'))"), std::string::npos);
    EXPECT_NE(t.find("masked")->code.find("torch.baddbmm(attn_mask"), std::string::npos);

    // combined = causal OR padding, computed here from the two inputs.
    const Tensor combined = t.find("combined_mask")->tensor();
    ASSERT_EQ(combined.dtype, DType::Bool);
    for (int64_t i = 0; i < b; ++i)
        for (int64_t h = 0; h < H; ++h)
            for (int64_t r = 0; r < L; ++r)
                for (int64_t j = 0; j < S; ++j)
                    EXPECT_EQ(at(combined, i, h, r, j), (j > r || in.pad_mask->data[i * S + j] != 0.0f) ? 1.0f : 0.0f);
    // The masked scores' softmax is the weights the fused kernel computed.
    const Tensor from_steps = softmax_last(t.find("masked")->tensor());
    ASSERT_EQ(from_steps.shape, t.attn().shape);
    for (int64_t n = 0; n < from_steps.numel(); ++n)
        EXPECT_NEAR(from_steps.data[n], t.attn().data[n], 1e-6);

    // A 3-D float mask: no float_mask step (it is numbers already), masked_fill for padding.
    ModuleInputs f = in;
    f.attn_mask = random_tensor({b * H, L, S}, 15);
    const Trace tf = forward(c, init_weights(c, 14), f);
    EXPECT_EQ(tf.find("float_mask"), nullptr);
    EXPECT_EQ(tf.find("attn_mask")->shape.to_string(), "[b*heads, L, S] = [4, 3, 3]");
    EXPECT_NE(tf.find("combined_mask")->code.find("masked_fill(key_padding_mask, float('-inf'))"), std::string::npos);
}

TEST(AttnMask, MasksThatDoNotFitAreRefusedWithTheirShapes) {
    const ModuleConfig c = mha(8, 4);
    const Weights w = init_weights(c, 1);
    ModuleInputs in;
    in.x = random_tensor({4, 5, 8}, 2);
    in.attn_mask = Tensor({2, 5, 5}, 0.0f, DType::Bool);
    try {
        forward(c, w, in);
        ADD_FAILURE() << "no error";
    } catch (const ShapeError& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("attn_mask has shape [2, 5, 5]"), std::string::npos) << m;
        EXPECT_NE(m.find("[L, S] = [5, 5]"), std::string::npos) << m;
        EXPECT_NE(m.find("[b*heads, L, S] = [16, 5, 5]"), std::string::npos) << m;
    }
    in.attn_mask = Tensor({5, 4});
    EXPECT_THROW(forward(c, w, in), ShapeError);
    in.attn_mask = Tensor({1, 4, 5, 5});
    EXPECT_THROW(forward(c, w, in), ShapeError);
    in.attn_mask = Tensor({5, 5});
    in.attn_mask->data[7] = std::numeric_limits<float>::quiet_NaN();
    try {
        forward(c, w, in);
        ADD_FAILURE() << "no error";
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("NaN at [1, 2]"), std::string::npos) << e.what();
    }
    in.attn_mask->data[7] = kInf;
    EXPECT_THROW(forward(c, w, in), ShapeError);
    in.attn_mask->data[7] = -kInf;  // how a float mask says "not allowed"
    EXPECT_NO_THROW(forward(c, w, in));
    in.attn_mask->dtype = DType::Int64;
    EXPECT_THROW(forward(c, w, in), ShapeError);

    ModuleInputs both = in;
    both.attn_mask = Tensor({5, 5});
    both.causal = true;
    EXPECT_THROW(forward(c, w, both), ConfigError);

    ModuleConfig seed = c;
    seed.kind = ModuleKind::MultiHead;
    ModuleInputs causal;
    causal.x = in.x;
    causal.causal = true;
    EXPECT_THROW(forward(seed, init_weights(seed, 1), causal), ConfigError);
}

TEST(AttnMask, TheSceneNamesTheMaskFile) {
    test::TempFolder dir;
    SceneSpec spec;
    spec.module = mha(16, 2);
    spec.sentences = {"tom chases jerry", "the cat"};  // b 2, L = S = 3
    const std::string path = (dir.path / "m.npy").string();
    write_npy(path, Tensor({3, 4}, 0.0f, DType::Bool));
    spec.attn_mask_path = path;
    try {
        build_scene(spec);
        ADD_FAILURE() << "no error";
    } catch (const ShapeError& e) {
        const std::string m = e.what();
        EXPECT_EQ(m.rfind(path + ": attn_mask has shape [3, 4]", 0), 0u) << m;
        EXPECT_NE(m.find("[b*heads, L, S] = [4, 3, 3]"), std::string::npos) << m;
    }
    write_npy(path, Tensor({3, 3}, 1.0f, DType::Int64));
    EXPECT_THROW(build_scene(spec), ShapeError);
    write_npy(path, causal_mask(3, 3));
    const Scene ok = build_scene(spec);
    ASSERT_TRUE(ok.inputs.attn_mask.has_value());
    EXPECT_EQ(ok.inputs.attn_mask->dtype, DType::Bool);

    spec.module.kind = ModuleKind::Self;
    spec.module.heads = 1;
    EXPECT_THROW(build_scene(spec), ConfigError);
}
