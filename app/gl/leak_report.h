// For LeakSanitizer's report in sanitizer builds; elsewhere a no-op.
#pragma once

namespace attn::gl {

// LeakSanitizer checks at exit, after glfwTerminate has unloaded the GL driver (Mesa): what the
// driver keeps for itself is then reported from "<unknown module>", which
// tests/sanitizers/lsan.supp cannot name. This keeps every library loaded by now for the life of
// the process (call it once a GL context exists), so the report names them. Nothing is loaded.
void pin_loaded_libraries();

}  // namespace attn::gl
