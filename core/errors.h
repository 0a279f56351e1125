// Typed errors of the engine. Everything the user can get wrong (a file, a tensor, a setting)
// becomes one of these with a message that names the file or tensor, what was expected and what
// was found. The CLI turns them into exit code 2 and one line on stderr; the GUI shows them in
// the window. None of them is ever allowed to reach abort().
#pragma once

#include <stdexcept>
#include <string>

namespace attn {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A file that cannot be read or written, or whose content is not what its format says.
struct FileError : Error {
    using Error::Error;
};

// A tensor whose shape, dtype or presence is not what the module expects.
struct ShapeError : Error {
    using Error::Error;
};

// Settings that cannot work together (heads that do not divide emb_dim, a zero size...).
struct ConfigError : Error {
    using Error::Error;
};

// Text that is not valid UTF-8 or cannot be tokenized.
struct TextError : Error {
    using Error::Error;
};

// An internal invariant. These guard memory, so they stay on in Release builds.
struct InternalError : Error {
    using Error::Error;
};

}  // namespace attn

#define ATTN_CHECK(cond, msg)                                                                                      \
    do {                                                                                                           \
        if (!(cond)) throw ::attn::InternalError(std::string("internal check failed: ") + (msg) + " (" #cond ")"); \
    } while (0)
