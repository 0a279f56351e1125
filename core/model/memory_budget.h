// How much memory a computation may take, checked before it allocates: a configuration that
// cannot fit is refused with its size and what to change, never left to the out-of-memory killer.
#pragma once

#include <string>

namespace attn {

// $ATTNSCOPE_MEMORY_LIMIT_MB when set (for servers and tests), else 60% of the physical memory.
double memory_limit_bytes();

// ConfigError "<what> would take 12.3 GiB, more than the 14.0 GiB this machine can spare: <advice>"
// when `bytes` is over the limit (sizes under a GiB in MiB).
void require_memory(double bytes, const std::string& what, const std::string& advice);

// Every pass allocates and frees tensors of the same few sizes. By default glibc hands large
// blocks back to the system on free, and the next pass pays a page fault per 4 KiB to get them
// again (a quarter of a [4, 256, 512] multi-head pass). Called once at start by our programs:
// keeps freed blocks up to 256 MiB in the heap for reuse.
void keep_freed_memory_for_reuse();

}  // namespace attn
