// tests/support/resident_memory.h — how much of a mapping is resident, from /proc/self/smaps.
#pragma once

namespace weft::testing {

/// Resident kB ("Rss") of the mapping that contains `p`, or -1 when /proc/self/smaps is unavailable.
long rss_kb_of_mapping(const void* p);

}  // namespace weft::testing
