// Where each step of a trace comes from (model/step_graph.h) and what happened to its dimensions
// on the way (model/shape_diff.h): on hand-made traces with one kind of change each, and on the
// traces of every module, whose expected edges and notes follow from the seed's code.
#include "model/shape_diff.h"
#include "model/step_graph.h"

#include "errors.h"
#include "pipeline/scene.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

namespace attn {
namespace {

// A trace of steps (name, dimension names, sizes, change), each `from` set as the Recorder sets it.
Trace make_trace(const std::vector<std::tuple<std::string, std::vector<std::string>, Shape, std::string>>& steps) {
    Trace t;
    for (const auto& [name, names, sizes, change] : steps) {
        TraceStep s;
        s.name = name;
        s.shape = NamedShape{names, sizes};
        s.change = change;
        t.steps.push_back(s);
        t.steps.back().from = source_step(t.steps, t.steps.size() - 1);
    }
    return t;
}

int index_of(const Trace& t, const std::string& name) {
    for (size_t i = 0; i < t.steps.size(); ++i)
        if (t.steps[i].name == name) return static_cast<int>(i);
    ADD_FAILURE() << "no step " << name;
    return -1;
}

TEST(ShapeDiff, AnInputHasNothingBeforeIt) {
    const Trace t = make_trace({{"x", {"b", "seq", "emb"}, {3, 5, 512}, "input"}});
    const ShapeDiff d = diff_shapes(t, 0);
    EXPECT_EQ(d.from, -1);
    EXPECT_EQ(d.changes, std::vector<DimChange>(3, DimChange::Same));
    EXPECT_EQ(d.notes, std::vector<std::string>(3, "an input of the module"));
    EXPECT_TRUE(d.gone.empty());
}

TEST(ShapeDiff, SplitHeadsIsASplitAndAMove) {
    const Trace t = make_trace({{"x", {"b", "seq", "emb"}, {3, 5, 512}, "input"},
                                {"q", {"b", "seq", "emb"}, {3, 5, 512}, "linear"},
                                {"q_heads", {"b", "heads", "seq", "depth"}, {3, 8, 5, 64}, "view"}});
    EXPECT_EQ(diff_shapes(t, 1).changes, std::vector<DimChange>(3, DimChange::Same));
    const ShapeDiff d = diff_shapes(t, 2);
    EXPECT_EQ(d.from, 1);
    EXPECT_EQ(d.changes, (std::vector<DimChange>{DimChange::Same, DimChange::New, DimChange::Moved, DimChange::New}));
    EXPECT_EQ(d.notes[1], "emb split into heads x depth");
    EXPECT_EQ(d.notes[3], "emb split into heads x depth");
    EXPECT_EQ(d.notes[2], "seq moved from place 1 to 2");
    EXPECT_TRUE(d.gone.empty());  // emb is explained by the split
}

TEST(ShapeDiff, ASplitNeedsTheSizesToMultiply) {
    const Trace t = make_trace({{"q", {"b", "seq", "emb"}, {3, 5, 512}, "input"},
                                {"odd", {"b", "heads", "seq", "depth"}, {3, 8, 5, 60}, "view"}});
    const ShapeDiff d = diff_shapes(t, 1);
    EXPECT_EQ(d.notes[1], "new: heads");
    EXPECT_EQ(d.notes[3], "new: depth");
    EXPECT_EQ(d.gone, (std::vector<std::string>{"emb"}));
}

TEST(ShapeDiff, ContractionLeavesADimensionGone) {
    // scores = q @ k^T: depth is contracted, a second seq (the keys) appears last.
    const Trace t = make_trace({{"q_heads", {"b", "heads", "seq", "depth"}, {3, 8, 5, 64}, "input"},
                                {"scores", {"b", "heads", "seq", "seq"}, {3, 8, 5, 5}, "matmul"}});
    const ShapeDiff d = diff_shapes(t, 1);
    EXPECT_EQ(d.from, 0);
    EXPECT_EQ(d.changes, (std::vector<DimChange>{DimChange::Same, DimChange::Same, DimChange::Same, DimChange::New}));
    EXPECT_EQ(d.notes[3], "new: seq");
    EXPECT_EQ(d.gone, (std::vector<std::string>{"depth"}));
}

TEST(ShapeDiff, FlattenAndUnflatten) {
    const Trace t = make_trace({{"proj_in", {"b", "emb", "h", "w"}, {3, 512, 40, 40}, "input"},
                                {"flatten", {"b", "h*w", "emb"}, {3, 1600, 512}, "rearrange"},
                                {"fold", {"b", "emb", "h", "w"}, {3, 512, 40, 40}, "rearrange"}});
    const ShapeDiff f = diff_shapes(t, 1);
    EXPECT_EQ(f.changes, (std::vector<DimChange>{DimChange::Same, DimChange::New, DimChange::Moved}));
    EXPECT_EQ(f.notes[1], "h and w flattened into h*w");
    EXPECT_EQ(f.notes[2], "emb moved from place 1 to 2");
    EXPECT_TRUE(f.gone.empty());
    const ShapeDiff u = diff_shapes(t, 2);
    EXPECT_EQ(u.changes, (std::vector<DimChange>{DimChange::Same, DimChange::Moved, DimChange::New, DimChange::New}));
    EXPECT_EQ(u.notes[2], "h*w unflattened");
    EXPECT_EQ(u.notes[3], "h*w unflattened");
    EXPECT_TRUE(u.gone.empty());
}

TEST(ShapeDiff, BroadcastAddsTheMiddleDimensionAndResizesAreNamed) {
    // [b, seq] -> [b, seq, seq]: matched from the end, the new one is the query dimension.
    const Trace t = make_trace({{"pad_mask", {"b", "seq"}, {3, 5}, "input: true where the key is padding"},
                                {"pad_mask_expanded", {"b", "seq", "seq"}, {3, 5, 5}, "unsqueeze"},
                                {"longer", {"b", "seq", "seq"}, {3, 5, 7}, "pad"}});
    const ShapeDiff e = diff_shapes(t, 1);
    EXPECT_EQ(e.from, 0);
    // The keys' seq, matched from the end, is one place further from the start: that is its move.
    EXPECT_EQ(e.changes, (std::vector<DimChange>{DimChange::Same, DimChange::New, DimChange::Moved}));
    EXPECT_EQ(e.notes[1], "new: seq");
    const ShapeDiff r = diff_shapes(t, 2);
    EXPECT_EQ(r.changes, (std::vector<DimChange>{DimChange::Same, DimChange::Same, DimChange::Resized}));
    EXPECT_EQ(r.notes[2], "seq was 5");
}

TEST(ShapeDiff, StepsOutsideTheTraceAreRefused) {
    const Trace t = make_trace({{"x", {"b"}, {1}, "input"}});
    EXPECT_THROW(diff_shapes(t, 1), InternalError);
    EXPECT_THROW(diff_shapes(t, -1), InternalError);
}

// --- The step graph of every module, from real passes.

Trace run(ModuleKind kind, bool with_mask = true) {
    SceneSpec spec;
    spec.module.kind = kind;
    spec.module.emb_dim = 16;
    spec.module.heads = 2;
    spec.sentences = with_mask ? seed_sentences() : std::vector<std::string>{"a b c"};
    spec.grid_h = spec.grid_w = 4;
    if (is_cross(kind)) spec.image_paths = {ATTNSCOPE_SOURCE_DIR "/assets/images/chelsea.png"};
    const Scene scene = build_scene(spec);
    return forward(scene.module, scene.weights, scene.inputs);
}

void expect_edge(const Trace& t, const std::string& step, const std::string& from) {
    const TraceStep& s = t.steps[static_cast<size_t>(index_of(t, step))];
    ASSERT_GE(s.from, 0) << step << " has no source; expected " << from;
    EXPECT_EQ(t.steps[static_cast<size_t>(s.from)].name, from) << t.module << ": " << step;
}

TEST(StepGraph, EveryStepComesFromAnEarlierOneOrIsAnInput) {
    for (ModuleKind kind : {ModuleKind::Self, ModuleKind::MultiHead, ModuleKind::Cross, ModuleKind::CrossMultiHead,
                            ModuleKind::TorchMHA}) {
        const Trace t = run(kind);
        for (size_t i = 0; i < t.steps.size(); ++i) {
            const TraceStep& s = t.steps[i];
            EXPECT_LT(s.from, static_cast<int>(i)) << t.module << " " << s.name;
            EXPECT_EQ(s.from < 0, s.change.rfind("input", 0) == 0) << t.module << " " << s.name;
            const ShapeDiff d = diff_shapes(t, static_cast<int>(i));
            EXPECT_EQ(d.from, s.from);
            EXPECT_EQ(d.changes.size(), s.shape.names.size());
        }
    }
}

TEST(StepGraph, TheSeedsEdges) {
    const Trace self = run(ModuleKind::Self);
    expect_edge(self, "q", "x");
    expect_edge(self, "k", "x");  // self-attention: keys and values from the queries' x
    expect_edge(self, "v", "x");
    expect_edge(self, "scores", "q");
    expect_edge(self, "masked", "scaled");
    expect_edge(self, "softmax", "masked");
    expect_edge(self, "pad_mask_expanded", "pad_mask");

    const Trace cross = run(ModuleKind::CrossMultiHead);
    expect_edge(cross, "proj_in", "x");
    expect_edge(cross, "flatten", "proj_in");
    expect_edge(cross, "q", "flatten");  // not context, recorded between them
    expect_edge(cross, "k", "context");
    expect_edge(cross, "v", "context");
    expect_edge(cross, "q_heads", "q");
    expect_edge(cross, "k_heads", "k");
    expect_edge(cross, "v_heads", "v");
    expect_edge(cross, "scores", "q_heads");
    expect_edge(cross, "pad_mask_heads", "pad_mask_expanded");
    expect_edge(cross, "weighted_sum", "softmax");
    const ShapeDiff flatten = diff_shapes(cross, index_of(cross, "flatten"));
    EXPECT_EQ(flatten.notes[1], "h and w flattened into h*w");
    const ShapeDiff heads = diff_shapes(cross, index_of(cross, "q_heads"));
    EXPECT_EQ(heads.notes[1], "emb split into heads x depth");

    const Trace mha = run(ModuleKind::TorchMHA, /*with_mask=*/false);
    expect_edge(mha, "q", "query");
    expect_edge(mha, "k", "query");  // no separate key given: self-attention
    expect_edge(mha, "masked", "scaled");
}

TEST(StepGraph, WithoutAMaskTheSoftmaxTakesTheScaledScores) {
    std::vector<TraceStep> steps(4);
    steps[0].name = "x";
    steps[0].change = "input";
    steps[1].name = "q";
    steps[2].name = "scaled";
    steps[3].name = "softmax";
    EXPECT_EQ(source_step(steps, 1), 0);
    EXPECT_EQ(source_step(steps, 3), 2);
}

TEST(StepGraph, TorchMhaKeysComeFromTheKeyInput) {
    std::vector<TraceStep> steps(3);
    steps[0].name = "query";
    steps[0].change = "input";
    steps[1].name = "key";
    steps[1].change = "input (keys and values)";
    steps[2].name = "k";
    EXPECT_EQ(source_step(steps, 2), 1);
    EXPECT_EQ(source_step(steps, 0), -1);
    EXPECT_EQ(source_step(steps, 7), -1);  // outside: no source
}

}  // namespace
}  // namespace attn
