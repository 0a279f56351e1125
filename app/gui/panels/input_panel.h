// The Input panel: the picture the cross modules look at, the sentences of the batch, the
// tokens / input_ids / pad_mask they become (AppContext::tokens(), the engine's own tokens), and
// the grid the picture is averaged to.
#pragma once

#include "panels/panel.h"

#include <string>

namespace attn::gui {

class InputPanel : public Panel {
public:
    InputPanel() : Panel("Input") {}

protected:
    void draw_content(AppContext& ctx) override;

private:
    void draw_image_choice(AppContext& ctx);
    void draw_grid(AppContext& ctx);
    void draw_sentences(AppContext& ctx);
    void draw_max_len(AppContext& ctx);
    void draw_tokens(AppContext& ctx);
    void draw_model_inputs(AppContext& ctx);  // a real model's: its sentences, or its picture
    void draw_saved_inputs(AppContext& ctx);  // a saved attention file's: its tokens, from the file

    // The path field keeps what is typed until Enter or "Use" applies it.
    std::string image_field_;
    std::string image_shown_;  // settings.image_path when image_field_ was last synced
    bool synced_ = false;
    int focus_sentence_ = -1;  // a sentence just added: its field takes the keyboard next frame
    // The max_len field: "auto" or a number, kept as typed while it is being edited.
    std::string max_len_field_;
};

// Sets the picture (from the path field, the sample combo or a file dropped on the window).
void choose_image(AppContext& ctx, const std::string& path);

}  // namespace attn::gui
