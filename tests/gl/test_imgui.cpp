// Dear ImGui (the prebuilt libimgui.a with its glfw and opengl3 backends) draws a MapRenderer
// target the right way up with image_upright(), and our render in the middle of its frame does
// not disturb it.
#include "gl_test_support.h"
#include "imgui_texture.h"
#include "map_renderer.h"

#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <gtest/gtest.h>

#include <array>
#include <vector>

namespace attn::gl {
namespace {

TEST(ImGuiIntegration, ShowsARenderTargetUpright) {
    GlContext& context = testing::test_context();
    const int side = testing::kTestWindowSide;

    const std::vector<float> values = {0.0f, 0.0f,   // top row -> first entry
                                       1.0f, 1.0f};  // bottom row -> last entry
    const Texture map_texture = upload_map_texture(values.data(), 2, 2);
    const Texture colormap = upload_colormap_texture(Colormap::Turbo);
    MapRenderer renderer;
    MapRenderInputs inputs;
    inputs.map = &map_texture;
    inputs.colormap = &colormap;

    // Where ImGui draws: our own framebuffer of the window's size (a hidden window's back buffer
    // cannot be read back reliably).
    Texture screen = allocate_render_texture(side, side);
    GLuint screen_fbo = 0;
    glGenFramebuffers(1, &screen_fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, screen_fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, screen.id(), 0);
    ASSERT_EQ(glCheckFramebufferStatus(GL_FRAMEBUFFER), GLenum{GL_FRAMEBUFFER_COMPLETE});

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGui::GetIO().IniFilename = nullptr;
    ImGui::StyleColorsDark();
    ImGui::GetStyle().WindowPadding = ImVec2(0.0f, 0.0f);
    ImGui::GetStyle().WindowBorderSize = 0.0f;
    ImGui::GetStyle().WindowRounding = 0.0f;
    ASSERT_TRUE(ImGui_ImplGlfw_InitForOpenGL(context.window(), false));
    ASSERT_TRUE(ImGui_ImplOpenGL3_Init("#version 330 core"));

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::GetIO().DisplaySize = ImVec2(static_cast<float>(side), static_cast<float>(side));
    ImGui::GetIO().DisplayFramebufferScale = ImVec2(1.0f, 1.0f);
    ImGui::NewFrame();
    // The map is rendered in the middle of the frame, as the app will do.
    renderer.render(inputs, 8, 8);
    ImGui::SetNextWindowPos(ImVec2(0.0f, 0.0f));
    ImGui::SetNextWindowSize(ImVec2(static_cast<float>(side), static_cast<float>(side)));
    ImGui::Begin("map", nullptr, ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoSavedSettings);
    image_upright(renderer.texture(), ImVec2(static_cast<float>(side), static_cast<float>(side)));
    ImGui::End();
    ImGui::Render();

    glBindFramebuffer(GL_FRAMEBUFFER, screen_fbo);
    glViewport(0, 0, side, side);
    glClearColor(0.0f, 0.0f, 0.0f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());

    std::array<uint8_t, 4> top{}, bottom{};
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(side / 2, side - 2, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, top.data());  // GL rows count from the bottom
    glReadPixels(side / 2, 1, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, bottom.data());
    glPixelStorei(GL_PACK_ALIGNMENT, 4);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glDeleteFramebuffers(1, &screen_fbo);
    EXPECT_EQ(glGetError(), GLenum{GL_NO_ERROR});

    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();

    const auto want_top = colormap_rgb(Colormap::Turbo, 0.0f);
    const auto want_bottom = colormap_rgb(Colormap::Turbo, 1.0f);
    for (size_t c = 0; c < 3; ++c) {
        EXPECT_NEAR(top[c], want_top[c], 1) << "channel " << c << ": the map's top row is not at the top";
        EXPECT_NEAR(bottom[c], want_bottom[c], 1) << "channel " << c;
    }
}

}  // namespace
}  // namespace attn::gl
