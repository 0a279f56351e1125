# cmake -DSHADER_DIR=<shaders/> -DOUTPUT=<embedded_shaders.cpp> -P embed_shaders.cmake
#
# Writes a .cpp that defines attn::gl::embedded_shaders() (declared in shader_sources.h): one
# {file name, text} entry per *.vert, *.frag and *.glsl of SHADER_DIR, sorted by name. The text
# goes in as hex bytes, not as a raw string literal, so no character in a shader (a ")" followed by
# a delimiter, a non-ASCII comment) can break the generated code.
if(NOT SHADER_DIR OR NOT OUTPUT)
  message(FATAL_ERROR "embed_shaders.cmake: pass -DSHADER_DIR=... and -DOUTPUT=...")
endif()

file(GLOB shader_paths ${SHADER_DIR}/*.vert ${SHADER_DIR}/*.frag ${SHADER_DIR}/*.glsl)
list(SORT shader_paths)

set(arrays "")
set(entries "")
set(index 0)
foreach(path IN LISTS shader_paths)
  get_filename_component(name ${path} NAME)
  if(NOT name MATCHES "^[A-Za-z0-9_.-]+$")
    message(FATAL_ERROR "embed_shaders.cmake: shader file name '${name}' must be letters, digits, '_', '-', '.'")
  endif()
  file(READ ${path} hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REPEAT "0x[0-9a-f][0-9a-f]," 20 line_pattern)  # CMake regexes have no {n}
  string(REGEX REPLACE "(${line_pattern})" "\\1\n    " bytes "${bytes}")
  # One extra 0 so an empty file still gives a legal array; the size below leaves it out.
  string(APPEND arrays "// ${name}, ${size} bytes\nconst unsigned char k_shader_${index}[] = {\n    ${bytes}0x00};\n\n")
  string(APPEND entries "        {\"${name}\", {reinterpret_cast<const char*>(k_shader_${index}), ${size}}},\n")
  math(EXPR index "${index} + 1")
endforeach()

set(text "// Generated at build time by app/gl/embed_shaders.cmake from ${SHADER_DIR}. Do not edit.\n")
string(APPEND text "#include \"shader_sources.h\"\n\nnamespace attn::gl {\n\nnamespace {\n\n${arrays}}  // namespace\n\n")
string(APPEND text "const std::vector<EmbeddedShader>& embedded_shaders() {\n")
string(APPEND text "    static const std::vector<EmbeddedShader> shaders = {\n${entries}    };\n    return shaders;\n}\n\n")
string(APPEND text "}  // namespace attn::gl\n")

file(WRITE ${OUTPUT} "${text}")
