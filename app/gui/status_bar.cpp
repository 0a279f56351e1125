#include "status_bar.h"

#include <imgui.h>

#include <cstdio>
#include <string>

namespace attn::gui {

namespace {

constexpr double kShowProgressAfter = 0.3;  // s of a pass before the progress bar appears
constexpr double kInfoShownFor = 10.0;      // s an info message stays on the status line

const ImVec4 kErrorColour(1.0f, 0.42f, 0.42f, 1.0f);
const ImVec4 kWarnColour(1.0f, 0.78f, 0.35f, 1.0f);
const ImVec4 kDimColour(0.62f, 0.62f, 0.66f, 1.0f);
const ImVec4 kOkColour(0.55f, 0.85f, 0.55f, 1.0f);

// One line of the status bar: the first line of `text`; all of it on hover when it is longer.
void text_line(const ImVec4& colour, const std::string& text) {
    const size_t newline = text.find('\n');
    const std::string first = newline == std::string::npos ? text : text.substr(0, newline) + "  (...)";
    ImGui::PushStyleColor(ImGuiCol_Text, colour);
    ImGui::TextUnformatted(first.c_str());
    ImGui::PopStyleColor();
    if (ImGui::IsItemHovered() &&
        (newline != std::string::npos || ImGui::CalcTextSize(first.c_str()).x > ImGui::GetWindowWidth())) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 50.0f);
        ImGui::TextUnformatted(text.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

}  // namespace

StatusBar::StatusBar(PassScheduler& scheduler, const double& fps)
    : Panel("##status", ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoScrollbar), scheduler_(scheduler), fps_(fps) {}

void StatusBar::draw_content(AppContext& ctx) {
    const double now = ctx.clock();
    draw_engine_line(ctx, now);
    draw_message_line(ctx, now);
}

void StatusBar::draw_engine_line(AppContext& ctx, double now) {
    const bool busy = ctx.worker->busy();
    const double started = scheduler_.pass_started();
    const std::string& blocked = scheduler_.blocked();
    const bool cancelled = scheduler_.cancelled();
    if (busy && !ctx.steady_screen && now - started > kShowProgressAfter) {
        const std::string stage = ctx.worker->stage();
        ImGui::AlignTextToFramePadding();
        ImGui::TextUnformatted("Computing");
        ImGui::SameLine();
        ImGui::ProgressBar(ctx.worker->progress(), ImVec2(ImGui::GetFontSize() * 16.0f, 0.0f),
                           stage.empty() ? "starting" : stage.c_str());
        ImGui::SameLine();
        if (cancelled) {
            ImGui::TextColored(kWarnColour, "cancelling: the pass stops at the end of this stage");
        } else {
            if (ImGui::SmallButton("Cancel")) scheduler_.cancel();
            ctx.note_item("status.cancel");
            ImGui::SameLine();
            ImGui::TextColored(kDimColour, "%.1f s%s", now - started,
                               ctx.has_pass() ? "   (the maps shown are those of the previous settings)" : "");
        }
    } else if (!blocked.empty()) {
        text_line(kWarnColour, "Not computed: " + blocked);
    } else if (!ctx.engine_error.empty()) {
        text_line(kErrorColour,
                  std::string(ctx.has_pass() ? "Not computed (the maps are those of the last settings that "
                                               "worked): "
                                             : "Not computed: ") +
                      ctx.engine_error);
    } else if (cancelled) {
        text_line(kWarnColour, ctx.has_pass()
                                   ? "Cancelled: the maps are those of the previous settings; change a setting "
                                     "to compute again"
                                   : "Cancelled: nothing computed; change a setting to compute again");
    } else if (!ctx.has_pass()) {
        text_line(kDimColour, "Computing the first pass...");
    } else if (!ctx.export_progress.empty()) {
        text_line(kWarnColour, ctx.export_progress + "...");
    } else if (ctx.steady_screen) {
        text_line(kOkColour, "Ready");
    } else {
        char buf[128];
        std::snprintf(buf, sizeof buf, "Ready   pass %.2f s   %.0f FPS", ctx.engine_seconds, fps_);
        text_line(kOkColour, buf);
    }
}

// The newest message, and all of them on request.
void StatusBar::draw_message_line(AppContext& ctx, double now) {
    const float width = ImGui::GetWindowWidth(), top = ImGui::GetWindowPos().y;
    const float button_w = ImGui::CalcTextSize("Messages (000)").x + ImGui::GetStyle().FramePadding.x * 2.0f;
    const Message* newest = ctx.messages.empty() ? nullptr : &ctx.messages.back();
    const bool show_newest =
        newest && newest->text != ctx.engine_error &&
        (newest->kind == Message::Kind::Error || ctx.steady_screen || now - newest->shown_at < kInfoShownFor);
    ImGui::BeginChild(
        "##message",
        ImVec2(width - button_w - ImGui::GetStyle().WindowPadding.x * 3.0f, ImGui::GetTextLineHeightWithSpacing()),
        false, ImGuiWindowFlags_NoScrollbar | ImGuiWindowFlags_NoScrollWithMouse);
    if (show_newest)
        text_line(newest->kind == Message::Kind::Error ? kErrorColour : ImGui::GetStyleColorVec4(ImGuiCol_Text),
                  newest->text);
    else
        text_line(kDimColour,
                  "Ctrl+E exports every map (more in the File menu); drop a picture or a .safetensors "
                  "file on the window to use it");
    ImGui::EndChild();
    ImGui::SameLine(width - button_w - ImGui::GetStyle().WindowPadding.x);
    const std::string label = "Messages (" + std::to_string(ctx.messages.size()) + ")";
    if (ImGui::SmallButton(label.c_str())) ImGui::OpenPopup("messages");
    ctx.note_item("status.messages");
    ImGui::SetNextWindowSizeConstraints(ImVec2(width * 0.5f, 0.0f), ImVec2(width * 0.9f, top * 0.8f));
    if (ImGui::BeginPopup("messages")) {
        if (ctx.messages.empty()) ImGui::TextUnformatted("No messages.");
        for (auto it = ctx.messages.rbegin(); it != ctx.messages.rend(); ++it) {
            ImGui::PushStyleColor(ImGuiCol_Text, it->kind == Message::Kind::Error
                                                     ? kErrorColour
                                                     : ImGui::GetStyleColorVec4(ImGuiCol_Text));
            ImGui::TextWrapped("%s", it->text.c_str());
            ImGui::PopStyleColor();
        }
        if (!ctx.messages.empty() && ImGui::Button("Clear")) ctx.messages.clear();
        ImGui::EndPopup();
    }
}

}  // namespace attn::gui
