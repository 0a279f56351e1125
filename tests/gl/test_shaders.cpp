// Every shader in shaders/ compiles, every program links, and failures say why (info log + GLSL
// version), the way Dear ImGui's OpenGL3 backend reports them.
#include "gl_test_support.h"
#include "programs.h"
#include "shader.h"
#include "shader_sources.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

namespace attn::gl {
namespace {

const std::filesystem::path kShaderDir = std::filesystem::path(ATTNSCOPE_SOURCE_DIR) / "shaders";

TEST(GlContext, IsAGl33CoreContextWithAFramebuffer) {
    const GlContext& context = testing::test_context();
    GLint major = 0, minor = 0, profile = 0;
    glGetIntegerv(GL_MAJOR_VERSION, &major);
    glGetIntegerv(GL_MINOR_VERSION, &minor);
    glGetIntegerv(GL_CONTEXT_PROFILE_MASK, &profile);
    EXPECT_GE(major * 10 + minor, 33) << GlContext::gl_version();
    EXPECT_TRUE(profile & GL_CONTEXT_CORE_PROFILE_BIT) << GlContext::gl_version();
    const auto [width, height] = context.framebuffer_size();
    EXPECT_GT(width, 0);
    EXPECT_GT(height, 0);
    std::printf("OpenGL %s on %s, GLSL %s\n", GlContext::gl_version().c_str(), GlContext::gl_renderer().c_str(),
                glsl_version().c_str());
}

TEST(EmbeddedShaders, EveryShaderCompiles) {
    testing::test_context();
    ASSERT_FALSE(embedded_shaders().empty()) << "no shader was embedded from " << kShaderDir;
    for (const EmbeddedShader& shader : embedded_shaders()) {
        SCOPED_TRACE(std::string(shader.name));
        try {
            const Shader compiled(shader_stage(shader.name), shader.source, std::string(shader.name));
            EXPECT_NE(compiled.id(), 0u);
        } catch (const Error& e) {
            ADD_FAILURE() << e.what();
        }
    }
}

TEST(EmbeddedShaders, EveryProgramLinks) {
    testing::test_context();
    ASSERT_FALSE(program_specs().empty());
    for (const ProgramSpec& spec : program_specs()) {
        SCOPED_TRACE(std::string(spec.name));
        try {
            const Program program = build_program(spec);
            EXPECT_TRUE(program);
        } catch (const Error& e) {
            ADD_FAILURE() << e.what();
        }
    }
}

// So that a new shader cannot sit in shaders/ without being linked (and so tested) anywhere.
TEST(EmbeddedShaders, EveryShaderBelongsToAProgram) {
    for (const EmbeddedShader& shader : embedded_shaders()) {
        const bool used = std::any_of(program_specs().begin(), program_specs().end(), [&](const ProgramSpec& spec) {
            return spec.vertex == shader.name || spec.fragment == shader.name;
        });
        EXPECT_TRUE(used) << shader.name << " is in shaders/ but no program in app/gl/programs.cpp uses it";
    }
}

// The embedded copies are the files in shaders/, all of them, byte for byte.
TEST(EmbeddedShaders, MatchTheSourceFolder) {
    std::set<std::string> on_disk;
    for (const auto& entry : std::filesystem::directory_iterator(kShaderDir)) {
        const std::string ext = entry.path().extension().string();
        if (ext == ".vert" || ext == ".frag" || ext == ".glsl") on_disk.insert(entry.path().filename().string());
    }
    const std::vector<std::string> names = embedded_shader_names();
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), on_disk);
    for (const std::string& name : names)
        EXPECT_EQ(shader_source(name, kShaderDir), embedded_shader(name)) << name;
}

TEST(EmbeddedShaders, UnknownNameIsAFileErrorListingTheKnownOnes) {
    try {
        embedded_shader("nope.frag");
        FAIL() << "expected FileError";
    } catch (const FileError& e) {
        EXPECT_NE(std::string(e.what()).find("nope.frag"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("colormap.frag"), std::string::npos) << e.what();
    }
    EXPECT_THROW(read_shader_file(kShaderDir, "nope.frag"), FileError);
}

TEST(ShaderStage, FromTheFileName) {
    EXPECT_EQ(shader_stage("fullscreen.vert"), GLenum{GL_VERTEX_SHADER});
    EXPECT_EQ(shader_stage("colormap.frag"), GLenum{GL_FRAGMENT_SHADER});
    EXPECT_EQ(shader_stage("colormap.frag.glsl"), GLenum{GL_FRAGMENT_SHADER});
    EXPECT_EQ(shader_stage("lines.geom"), GLenum{GL_GEOMETRY_SHADER});
    EXPECT_THROW(shader_stage("common.glsl"), ConfigError);
}

TEST(ShaderError, CompileFailureCarriesTheInfoLogAndGlslVersion) {
    testing::test_context();
    const std::string source =
        "#version 330 core\n"
        "out vec4 frag_colour;\n"
        "void main() { frag_colour = vec4(undeclared_value, 1.0); }\n";
    try {
        const Shader broken(GL_FRAGMENT_SHADER, source, "broken.frag");
        FAIL() << "a shader with an undeclared name compiled";
    } catch (const ShaderError& e) {
        const std::string what = e.what();
        EXPECT_EQ(e.shader_name, "broken.frag");
        EXPECT_FALSE(e.info_log.empty());
        EXPECT_NE(e.info_log.find("undeclared_value"), std::string::npos) << e.info_log;
        EXPECT_NE(what.find(e.info_log), std::string::npos) << what;
        EXPECT_EQ(e.glsl_version, glsl_version());
        EXPECT_FALSE(e.glsl_version.empty());
        EXPECT_NE(what.find("GLSL " + glsl_version()), std::string::npos) << what;
        EXPECT_NE(what.find("broken.frag"), std::string::npos) << what;
    }
}

TEST(ShaderError, LinkFailureCarriesTheInfoLogAndGlslVersion) {
    testing::test_context();
    // Compiles on its own, but fullscreen.vert writes v_uv as a vec2, not a vec3.
    const std::string fragment =
        "#version 330 core\n"
        "in vec3 v_uv;\n"
        "out vec4 frag_colour;\n"
        "void main() { frag_colour = vec4(v_uv, 1.0); }\n";
    try {
        build_program("mismatch", "fullscreen.vert", embedded_shader("fullscreen.vert"), "mismatch.frag", fragment);
        FAIL() << "a program with an unmatched input linked";
    } catch (const ShaderError& e) {
        const std::string what = e.what();
        EXPECT_NE(e.shader_name.find("fullscreen.vert + mismatch.frag"), std::string::npos) << e.shader_name;
        EXPECT_FALSE(e.info_log.empty());
        EXPECT_NE(what.find(e.info_log), std::string::npos) << what;
        EXPECT_NE(what.find("GLSL " + glsl_version()), std::string::npos) << what;
        EXPECT_NE(what.find("failed to link"), std::string::npos) << what;
        EXPECT_NE(e.info_log.find("v_uv"), std::string::npos) << e.info_log;
    }
}

TEST(ShaderReload, EnvironmentVariableChoosesTheFolder) {
    const char* old = std::getenv("ATTNSCOPE_SHADER_DIR");
    const std::string saved = old ? old : "";
    ::setenv("ATTNSCOPE_SHADER_DIR", "/some/where/shaders", 1);
    const auto dir = shader_reload_dir();
    ASSERT_TRUE(dir.has_value());
    EXPECT_EQ(*dir, std::filesystem::path("/some/where/shaders"));
    if (old)
        ::setenv("ATTNSCOPE_SHADER_DIR", saved.c_str(), 1);
    else
        ::unsetenv("ATTNSCOPE_SHADER_DIR");
}

}  // namespace
}  // namespace attn::gl
