#include "resident_memory.h"

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace weft::testing {

long rss_kb_of_mapping(const void* p) {
    std::ifstream smaps("/proc/self/smaps");
    if (!smaps) return -1;
    const auto addr = reinterpret_cast<uintptr_t>(p);
    std::string line;
    bool in = false;
    while (std::getline(smaps, line)) {
        unsigned long lo, hi;
        char dash;
        std::istringstream head(line);
        if (line.find(':') == std::string::npos || line.find('-') < line.find(':')) {
            // A mapping header line "lo-hi perms ...".
            if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
                in = addr >= lo && addr < hi;
                continue;
            }
        }
        if (in && line.rfind("Rss:", 0) == 0) return std::stol(line.substr(4));
    }
    return -1;
}

}  // namespace weft::testing
