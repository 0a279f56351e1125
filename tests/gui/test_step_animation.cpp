// The step diagrams' model (app/gui/diagram.h, step_animation.h) on real passes of the engine:
// every step of every module animates; the head split's pieces really regroup (adjacent in a row
// before the view, one slab per head after the transpose); the contraction's axis letters come
// from the einsum; masked_fill hatches exactly the padding keys' cells with the fill; softmax's
// row sums are 1 (NaN for a row of -inf); cell numbers are the engine's; motion is continuous.
#include "diagram.h"
#include "settings.h"
#include "step_animation.h"

#include "model/forward.h"
#include "model/step_slice.h"
#include "pipeline/scene.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>

namespace attn::gui::anim {
namespace {

const std::string kChelsea = ATTNSCOPE_SOURCE_DIR "/assets/images/chelsea.png";

struct Pass {
    Scene scene;
    Trace trace;
    std::map<int, StepSlice> slices;
    AnimInputs inputs;
};

std::unique_ptr<Pass> run(ModuleKind kind, int heads, int emb, MaskFill fill = MaskFill::Module,
                          std::vector<std::string> sentences = {}) {
    Settings s;
    s.module = kind;
    s.heads = heads;
    s.emb_dim = emb;
    s.grid_h = 6;
    s.grid_w = 7;
    s.mask_fill = fill;
    if (!sentences.empty()) s.sentences = sentences;
    auto p = std::make_unique<Pass>();
    p->scene = build_scene(scene_spec(s, kChelsea));
    p->trace = forward(p->scene.module, p->scene.weights, p->scene.inputs);
    Pass* raw = p.get();
    p->inputs.trace = &p->trace;
    p->inputs.batch = 0;
    p->inputs.head = std::min(1, heads - 1);
    p->inputs.slice = [raw](int i) -> const StepSlice* {
        auto it = raw->slices.find(i);
        if (it == raw->slices.end()) {
            const TraceStep& st = raw->trace.steps[static_cast<size_t>(i)];
            SliceChoice choice;
            choice.batch = raw->inputs.batch;
            choice.head = raw->inputs.head;
            it = raw->slices.emplace(i, make_step_slice(st, st.tensor(), raw->trace.fill, choice)).first;
        }
        return &it->second;
    };
    p->inputs.query_label = [raw](int r) { return raw->scene.query_label(0, r); };
    p->inputs.key_label = [raw](int c) { return raw->scene.key_label(0, c); };
    return p;
}

int step_index(const Trace& t, const std::string& name) {
    for (size_t i = 0; i < t.steps.size(); ++i)
        if (t.steps[i].name == name) return static_cast<int>(i);
    ADD_FAILURE() << "no step " << name;
    return 0;
}

const Box& box(const Picture& p, const std::string& id) {
    const Box* b = p.find_box(id);
    if (b == nullptr) throw std::runtime_error("no box " + id);
    return *b;
}

bool has_label(const Picture& p, const std::string& text) {
    for (const Label& l : p.labels)
        if (l.text.find(text) != std::string::npos && l.alpha > 0.5f) return true;
    return false;
}

TEST(StepAnimation, EveryStepOfEveryModuleAnimatesWithinTheCanvas) {
    for (ModuleKind kind : {ModuleKind::Self, ModuleKind::MultiHead, ModuleKind::Cross, ModuleKind::CrossMultiHead,
                            ModuleKind::TorchMHA}) {
        auto p = run(kind, 4, 32);
        for (int i = 0; i < static_cast<int>(p->trace.steps.size()); ++i) {
            const StepAnimation a = animate_step(p->inputs, i);
            ASSERT_FALSE(a.phases.empty()) << module_name(kind) << " step " << i;
            for (float t : {0.0f, 0.3f, 0.5f, 0.8f, 1.0f}) {
                const Picture f = a.frame(t);
                EXPECT_FALSE(f.boxes.empty())
                    << module_name(kind) << " " << p->trace.steps[static_cast<size_t>(i)].name;
                for (const Box& b : f.boxes) {
                    ASSERT_TRUE(std::isfinite(b.x) && std::isfinite(b.y) && b.w >= 0 && b.h >= 0) << b.id;
                    EXPECT_GE(b.x, -1.0f) << b.id;
                    EXPECT_LE(b.x + b.w, kCanvasW + 1.0f) << module_name(kind) << " step " << i << " " << b.id;
                    EXPECT_GE(b.y, 100.0f) << b.id;  // below the title and the code line
                    EXPECT_LE(b.y + b.h, kCanvasH - 60.0f) << module_name(kind) << " step " << i << " " << b.id;
                }
            }
        }
    }
    EXPECT_THROW(animate_step(run(ModuleKind::Self, 1, 8)->inputs, 99), InternalError);
}

TEST(StepAnimation, HeadSplitViewThenTransposeRegroupsThePieces) {
    auto p = run(ModuleKind::MultiHead, 4, 32);
    const StepAnimation a = animate_step(p->inputs, step_index(p->trace, "q_heads"));
    ASSERT_EQ(a.phases.size(), 2u);
    EXPECT_NE(a.phases[0].caption.find("view"), std::string::npos);
    EXPECT_NE(a.phases[1].caption.find("transpose(1, 2)"), std::string::npos);
    const Picture before = a.frame(0.0f), after = a.frame(1.0f), middle = a.frame(0.5f + 0.25f);
    // Before the view each row is one bar: head h + 1 starts where head h ends.
    const Box& a00 = box(before, "piece/0.0");
    const Box& a01 = box(before, "piece/0.1");
    EXPECT_NEAR(a00.x + a00.w, a01.x, 0.01f);
    EXPECT_NEAR(a00.y, a01.y, 0.01f);
    EXPECT_TRUE(has_label(before, "emb = 32"));
    // After the transpose the rows of one head are stacked in its slab; heads are slabs apart.
    const Box& b00 = box(after, "piece/0.0");
    const Box& b10 = box(after, "piece/1.0");
    const Box& b01 = box(after, "piece/0.1");
    EXPECT_NEAR(b00.x, b10.x, 0.01f);
    EXPECT_GT(b10.y, b00.y);
    EXPECT_GT(b01.x, b00.x);
    EXPECT_LT(b01.y, b00.y);  // the deck goes up and to the right
    EXPECT_TRUE(has_label(after, "heads = 4"));
    EXPECT_TRUE(has_label(after, "depth = 8"));
    EXPECT_TRUE(has_label(after, "tom"));  // the rows keep their tokens
    // Halfway through the transpose the pieces are between the two layouts.
    const Box& m01 = box(middle, "piece/0.1");
    EXPECT_GT(std::fabs(m01.x - box(a.frame(0.5f), "piece/0.1").x) + std::fabs(m01.y - b01.y), 1.0f);
}

TEST(StepAnimation, ScoresSumOverDepthAndCrossEinsumLettersAreOnTheAxes) {
    auto p = run(ModuleKind::MultiHead, 4, 32);
    const StepAnimation a = animate_step(p->inputs, step_index(p->trace, "scores"));
    ASSERT_EQ(a.phases.size(), 2u);
    EXPECT_NE(a.phases[0].caption.find("k.transpose(-2, -1)"), std::string::npos);
    EXPECT_NE(a.phases[1].caption.find("depth"), std::string::npos);
    const Picture done = a.frame(1.0f);
    EXPECT_TRUE(has_label(done, "depth = 8  (summed over)"));
    // The result cells carry the engine's scores of batch item 0, head 1.
    const int si = step_index(p->trace, "scores");
    const StepSlice* sl = p->inputs.slice(si);
    const Label* v = done.find_label("res/1.2/v");
    ASSERT_NE(v, nullptr);
    char want[32];
    std::snprintf(want, sizeof want, "%.2f", static_cast<double>(sl->values[1 * static_cast<size_t>(sl->cols) + 2]));
    EXPECT_EQ(v->text, want);

    auto c = run(ModuleKind::CrossMultiHead, 4, 32);
    const StepAnimation e = animate_step(c->inputs, step_index(c->trace, "scores"));
    const Picture f = e.frame(1.0f);
    EXPECT_TRUE(has_label(f, "i: h*w = 42"));
    EXPECT_TRUE(has_label(f, "d: depth = 8"));
    EXPECT_TRUE(has_label(f, "j: seq = 5"));
    EXPECT_TRUE(has_label(f, "'bnid, bnjd -> bnij'"));
    const StepAnimation w = animate_step(c->inputs, step_index(c->trace, "weighted_sum"));
    EXPECT_TRUE(has_label(w.frame(1.0f), "j: seq = 5  (summed over)"));
}

TEST(StepAnimation, MaskedFillHatchesThePaddingKeysWithTheFill) {
    auto p = run(ModuleKind::MultiHead, 4, 32);  // "tom chases jerry !" + one <pad> key
    const StepAnimation a = animate_step(p->inputs, step_index(p->trace, "masked"));
    const Picture before = a.frame(0.0f), after = a.frame(1.0f);
    for (int r = 0; r < 5; ++r)
        for (int c = 0; c < 5; ++c) {
            const std::string id = "m/" + std::to_string(r) + "." + std::to_string(c);
            EXPECT_LE(box(before, id).hatch.a, 0.0f) << id;
            EXPECT_EQ(box(after, id).hatch.a > 0.0f, c == 4) << id;  // key 4 is <pad>
        }
    EXPECT_EQ(after.find_label("m/2.4/v")->text, "-1e9");
    EXPECT_TRUE(has_label(after, "pad_mask"));
}

TEST(StepAnimation, SoftmaxRowsSumToOneAndAnAllMinusInfRowIsNaN) {
    auto p = run(ModuleKind::MultiHead, 2, 16);
    const StepAnimation a = animate_step(p->inputs, step_index(p->trace, "softmax"));
    ASSERT_EQ(a.phases.size(), 2u);
    const Picture done = a.frame(1.0f);
    for (int r = 0; r < 5; ++r)
        EXPECT_EQ(done.find_label("sum/" + std::to_string(r))->text, "Σ = 1.00") << r;
    // An empty sentence padded throughout, masked with -inf: every row NaN, as in PyTorch.
    auto n = run(ModuleKind::MultiHead, 2, 16, MaskFill::NegInf, {"", "the cat"});
    const StepAnimation b = animate_step(n->inputs, step_index(n->trace, "softmax"));
    EXPECT_EQ(b.frame(1.0f).find_label("sum/0")->text, "Σ = NaN");
}

TEST(StepAnimation, MotionIsContinuousAndFramesDifferAsItMoves) {
    auto p = run(ModuleKind::MultiHead, 4, 32);
    const StepAnimation a = animate_step(p->inputs, step_index(p->trace, "q_heads"));
    // Over 1/600 of the step (a 60 Hz frame of a 10 s step) nothing jumps more than a few units.
    float worst = 0.0f;
    for (int k = 0; k < 600; ++k) {
        const Picture x = a.frame(static_cast<float>(k) / 600.0f), y = a.frame(static_cast<float>(k + 1) / 600.0f);
        for (const Box& b : y.boxes)
            if (const Box* o = x.find_box(b.id); o != nullptr && b.id.rfind("piece/", 0) == 0)
                worst = std::max(worst, std::fabs(b.x - o->x) + std::fabs(b.y - o->y));
    }
    EXPECT_LT(worst, 20.0f);
    EXPECT_GT(worst, 0.5f);
    const float x1 = box(a.frame(0.2f), "piece/2.3").x, x2 = box(a.frame(0.6f), "piece/2.3").x,
                x3 = box(a.frame(0.9f), "piece/2.3").x;
    EXPECT_NE(x1, x2);
    EXPECT_NE(x2, x3);
}

TEST(Diagram, TweenFadesPartsInAndOutAndSwapsTexts) {
    Picture a, b;
    Box one;
    one.id = "one";
    one.w = one.h = 10;
    one.fill = {1, 0, 0, 1};
    a.add(one);
    one.x = 100;
    one.fill = {0, 0, 1, 1};
    b.add(one);
    Box gone = one;
    gone.id = "gone";
    a.add(gone);
    Box born = one;
    born.id = "born";
    b.add(born);
    a.text("t", "before", 0, 0, 10, {1, 1, 1, 1});
    b.text("t", "after", 10, 0, 10, {1, 1, 1, 1});
    const Picture m = tween(a, b, 0.25f);
    EXPECT_FLOAT_EQ(m.find_box("one")->x, 25.0f);
    EXPECT_FLOAT_EQ(m.find_box("one")->fill.r, 0.75f);
    EXPECT_FLOAT_EQ(m.find_box("gone")->alpha, 0.75f);
    EXPECT_FLOAT_EQ(m.find_box("born")->alpha, 0.25f);
    EXPECT_EQ(m.find_label("t")->text, "before");
    EXPECT_FLOAT_EQ(m.find_label("t")->alpha, 0.5f);
    EXPECT_EQ(tween(a, b, 0.75f).find_label("t")->text, "after");
    EXPECT_EQ(tween(a, b, 1.0f).find_box("gone"), nullptr);
}

}  // namespace
}  // namespace attn::gui::anim
