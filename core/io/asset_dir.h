// Where the bundled assets (sample pictures, the font and their licences) are, for attnscope and
// attnscope-cli alike: found relative to the running executable, never at a path compiled in, so
// an installed prefix can be moved and the source and build trees deleted.
//   $ATTNSCOPE_ASSETS                      when set and not empty
//   <executable's folder>/../share/attnscope   otherwise: PREFIX/bin -> PREFIX/share/attnscope,
//                                          and in the build tree build/app -> build/share/attnscope
//                                          (made at build time with the same layout)
#pragma once

#include <string>

namespace attn {

std::string asset_dir();

// The folder of the running executable (/proc/self/exe resolved), or "" when it cannot be read.
std::string executable_dir();

}  // namespace attn
