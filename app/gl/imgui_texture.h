// Showing our textures with Dear ImGui. Our render targets are upright in GL's bottom-left
// convention, ImGui puts v = 0 at the top: flip v, or the map appears upside down.
#pragma once

#include "textures.h"

#include <imgui.h>

#include <cstdint>

namespace attn::gl {

inline ImTextureID imgui_texture_id(const Texture& texture) {
    return reinterpret_cast<ImTextureID>(static_cast<intptr_t>(texture.id()));
}

// ImGui::Image of a render target (MapRenderer::texture()) the right way up.
inline void image_upright(const Texture& texture, ImVec2 size) {
    ImGui::Image(imgui_texture_id(texture), size, ImVec2(0.0f, 1.0f), ImVec2(1.0f, 0.0f));
}

}  // namespace attn::gl
