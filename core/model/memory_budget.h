// How much memory a computation may take, checked before it allocates: a configuration that
// cannot fit is refused with its size and what to change, never left to the out-of-memory killer.
#pragma once

#include <string>

namespace attn {

// $ATTNSCOPE_MEMORY_LIMIT_MB when set (for servers and tests), else 60% of the physical memory.
double memory_limit_bytes();

// ConfigError "<what> would take 12.3 GiB, more than the 14.0 GiB this machine can spare: <advice>"
// when `bytes` is over the limit.
void require_memory(double bytes, const std::string& what, const std::string& advice);

}  // namespace attn
