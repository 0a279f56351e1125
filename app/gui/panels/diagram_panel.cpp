#include "panels/diagram_panel.h"

#include "imgui_texture.h"
#include "panels/anim_controls.h"
#include "panels/view_widgets.h"

#include <imgui.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace attn::gui {

void DiagramPanel::draw_content(AppContext& ctx) {
    if (!views::pass_ready(ctx)) return;
    Settings& s = ctx.settings;
    const int n = static_cast<int>(ctx.trace->steps.size());
    if (n == 0) return;
    s.step = std::clamp(s.step, 0, n - 1);
    if (!painter_) painter_ = std::make_unique<DiagramPainter>();
    if (!export_painter_) export_painter_ = std::make_unique<DiagramPainter>();

    views::anim_controls(ctx, "diagram");
    draw_exports(ctx);

    const anim::StepAnimation& a = diagrams_.animation(ctx, s.step, StepDiagrams::Slices::Later);
    // The canvas's 16:9 in the space left, painted at the framebuffer's pixels.
    const ImVec2 avail = ImGui::GetContentRegionAvail();
    float w = std::max(avail.x, 16.0f), h = std::max(avail.y, 9.0f);
    if (w * 9.0f > h * 16.0f)
        w = h * 16.0f / 9.0f;
    else
        h = w * 9.0f / 16.0f;
    const float fb = std::max(ImGui::GetIO().DisplayFramebufferScale.x, 1.0f);
    const gl::Texture& texture = painter_->paint(a.frame(s.anim_progress), static_cast<int>(std::lround(w * fb)),
                                                 static_cast<int>(std::lround(h * fb)));
    gl::image_upright(texture, ImVec2(std::floor(w), std::floor(h)));
    ctx.note_item("diagram.view");
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("%s", (a.code + "\n" + a.shape_line + (a.note.empty() ? "" : "\n" + a.note)).c_str());
    if (ctx.testing()) publish(ctx, a);
}

void DiagramPanel::draw_exports(AppContext& ctx) {
    if (exporter_.active()) {
        if (auto done = exporter_.run(ctx, diagrams_, *export_painter_, 0.03)) {
            last_export_ = *done;
            ++exports_;
            if (done->rfind("Diagram:", 0) == 0)
                ctx.info(*done);
            else
                ctx.error(*done);
        }
    }
    auto button = [&](const char* label, const char* name, DiagramExportKind kind, const char* tip) {
        ImGui::BeginDisabled(exporter_.active());
        if (ImGui::Button(label)) {
            try {
                exporter_.start(ctx, kind, every_step_);
            } catch (const std::exception& e) {
                ctx.error(std::string("Diagram export failed: ") + e.what());
            }
        }
        ImGui::EndDisabled();
        ctx.note_item(name);
        if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) ImGui::SetTooltip("%s", tip);
        ImGui::SameLine();
    };
    button("PNG", "diagram.export_png", DiagramExportKind::Frame,
           "This frame as a 960 x 540 PNG, in the export folder");
    button("SVG", "diagram.export_svg", DiagramExportKind::Svg,
           "This frame as SVG: boxes and text, sharp at any size on a slide or in a paper");
    button("GIF", "diagram.export_gif", DiagramExportKind::Gif,
           "The animation as an animated GIF (960 x 540, 25 frames a step), in the export folder");
    button("PNG frames", "diagram.export_frames", DiagramExportKind::Frames,
           "The animation as a folder of PNG frames (25 a step), in the export folder");
    ImGui::Checkbox("every step", &every_step_);
    ctx.note_item("diagram.every_step");
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("GIF and frames of the whole pipeline instead of this step");
    if (exporter_.active()) {
        ImGui::SameLine();
        ImGui::ProgressBar(exporter_.progress(), ImVec2(-1.0f, 0.0f));
        ctx.animating = true;  // keep frames coming until it is written
    }
}

void DiagramPanel::publish(AppContext& ctx, const anim::StepAnimation& a) {
    // A 32 x 18 grey thumbnail of the frame as GL drew it (read back from the texture).
    const RgbImage im = painter_->read_rgb();
    nlohmann::json thumb = nlohmann::json::array();
    constexpr int kW = 32, kH = 18;
    for (int ty = 0; ty < kH; ++ty)
        for (int tx = 0; tx < kW; ++tx) {
            double sum = 0.0;
            int count = 0;
            for (int y = ty * im.height / kH; y < (ty + 1) * im.height / kH; ++y)
                for (int x = tx * im.width / kW; x < (tx + 1) * im.width / kW; ++x) {
                    const size_t i =
                        (static_cast<size_t>(y) * static_cast<size_t>(im.width) + static_cast<size_t>(x)) * 3;
                    sum += (im.pixels[i] + im.pixels[i + 1] + im.pixels[i + 2]) / 3.0;
                    ++count;
                }
            thumb.push_back(count > 0 ? std::lround(sum / count) : 0);
        }
    const float t = ctx.settings.anim_progress;
    nlohmann::json j;
    j["step"] = ctx.settings.step;
    j["progress"] = t;
    j["playing"] = ctx.player.playing();
    j["phase"] = a.phase_at(t);
    j["phases"] = a.phases.size();
    j["caption"] = a.phases.empty() ? "" : a.phases[static_cast<size_t>(a.phase_at(t))].caption;
    j["quads"] = painter_->quads();
    j["size"] = {im.width, im.height};
    j["thumb"] = thumb;
    j["exports"] = exports_;
    j["last_export"] = last_export_;
    j["exporting"] = exporter_.active();
    j["frames_per_step"] = DiagramExporter::frames_per_step();
    ctx.probes["diagram"] = j.dump();
}

}  // namespace attn::gui
