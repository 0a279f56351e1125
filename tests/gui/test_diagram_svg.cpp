// The step diagrams as SVG (app/gui/diagram_svg.h): every visible box and label of a real pass's
// picture is in the document, hatched cells refer to a defined pattern, text is escaped, and
// xmllint parses it.
#include "diagram.h"
#include "diagram_svg.h"
#include "settings.h"
#include "step_animation.h"

#include "model/forward.h"
#include "model/step_slice.h"
#include "pipeline/scene.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>

namespace attn::gui::anim {
namespace {

int count(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
        ++n;
    return n;
}

// The masked_fill step of the seed's MultiHeadAttention on its padded batch, at the end of its
// animation: the padding keys' cells are hatched and filled with -1e9.
Picture masked_fill_picture() {
    Settings s;
    s.module = ModuleKind::MultiHead;
    s.heads = 4;
    s.emb_dim = 32;
    const Scene scene = build_scene(scene_spec(s, ATTNSCOPE_SOURCE_DIR "/assets/images/chelsea.png"));
    const Trace trace = forward(scene.module, scene.weights, scene.inputs);
    std::map<int, StepSlice> slices;
    AnimInputs in;
    in.trace = &trace;
    in.batch = 1;  // "the cat sleeps": two padding keys
    in.head = 0;
    in.slice = [&](int i) -> const StepSlice* {
        auto it = slices.find(i);
        if (it == slices.end()) {
            const TraceStep& st = trace.steps[static_cast<size_t>(i)];
            SliceChoice choice;
            choice.batch = in.batch;
            choice.head = in.head;
            it = slices.emplace(i, make_step_slice(st, st.tensor(), trace.fill, choice)).first;
        }
        return &it->second;
    };
    in.query_label = [&](int r) { return scene.query_label(1, r); };
    in.key_label = [&](int c) { return scene.key_label(1, c); };
    for (size_t i = 0; i < trace.steps.size(); ++i)
        if (trace.steps[i].name == "masked") return animate_step(in, static_cast<int>(i)).frame(1.0f);
    ADD_FAILURE() << "no masked step";
    return {};
}

TEST(DiagramSvg, EveryVisiblePartOfARealPictureIsThere) {
    const Picture p = masked_fill_picture();
    int boxes = 0, hatched = 0, labels = 0;
    for (const Box& b : p.boxes) {
        if (b.alpha <= 0.0f || (b.fill.a <= 0.0f && b.edge.a <= 0.0f && b.hatch.a <= 0.0f)) continue;
        ++boxes;
        if (b.hatch.a > 0.0f) ++hatched;
    }
    for (const Label& l : p.labels)
        if (l.alpha > 0.0f && l.colour.a > 0.0f && !l.text.empty()) ++labels;
    ASSERT_GT(hatched, 0) << "the padding keys of batch item 1 should be hatched";
    const std::string svg = picture_svg(p, "masked <step>");
    EXPECT_EQ(count(svg, "<rect data-id="), boxes);
    EXPECT_EQ(count(svg, "fill=\"url(#hatch"), hatched);
    EXPECT_GE(count(svg, "<pattern id=\"hatch"), 1);
    EXPECT_EQ(count(svg, "<text "), labels);
    EXPECT_NE(svg.find("<title>masked &lt;step&gt;</title>"), std::string::npos);
    EXPECT_NE(svg.find("&lt;pad&gt;"), std::string::npos) << "the padding token's label, escaped";
    EXPECT_EQ(svg.find("<pad>"), std::string::npos);
    EXPECT_NE(svg.find("viewBox=\"0 0 1280 720\""), std::string::npos);
}

TEST(DiagramSvg, XmllintParsesIt) {
    if (std::system("command -v xmllint > /dev/null 2>&1") != 0) GTEST_SKIP() << "xmllint (libxml2-utils) missing";
    const std::string path = ::testing::TempDir() + "attnscope_diagram_test.svg";
    {
        std::ofstream f(path);
        f << picture_svg(masked_fill_picture(), "masked & softmax");
    }
    EXPECT_EQ(std::system(("xmllint --noout " + path).c_str()), 0);
    std::remove(path.c_str());
}

TEST(DiagramSvg, AFadedOutPartIsLeftOut) {
    Picture p;
    Box gone;
    gone.id = "gone";
    gone.fill = {1, 0, 0, 1};
    gone.alpha = 0.0f;
    p.add(gone);
    Box kept = gone;
    kept.id = "kept";
    kept.alpha = 0.5f;
    p.add(kept);
    p.text("t", "", 10, 10, 18, {1, 1, 1, 1});
    const std::string svg = picture_svg(p, "x");
    EXPECT_EQ(svg.find("data-id=\"gone\""), std::string::npos);
    EXPECT_NE(svg.find("data-id=\"kept\" "), std::string::npos);
    EXPECT_NE(svg.find("fill-opacity=\"0.5\""), std::string::npos);
    EXPECT_EQ(count(svg, "<text "), 0);
}

}  // namespace
}  // namespace attn::gui::anim
