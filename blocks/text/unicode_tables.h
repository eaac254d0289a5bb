// blocks/text/unicode_tables.h — Unicode character classes and lowercase mappings for the CLIP
// tokenizer (generated tables in unicode_tables.cpp; lookups in unicode_text.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft::models::unicode {

struct CodeRange {
    uint32_t first, last;  // inclusive
};
struct CodeMap {
    uint32_t from, to;
};
struct CodeMulti {
    uint32_t from;
    uint32_t to[3];
    int count;
};

extern const CodeRange kLetter[];
extern const size_t kLetterCount;
extern const CodeRange kNumber[];
extern const size_t kNumberCount;
extern const CodeRange kSpace[];
extern const size_t kSpaceCount;
extern const CodeRange kControl[];
extern const size_t kControlCount;
extern const CodeRange kBertSpace[];
extern const size_t kBertSpaceCount;
extern const CodeMap kLower[];
extern const size_t kLowerCount;
extern const CodeMulti kLowerMulti[];
extern const size_t kLowerMultiCount;

}  // namespace weft::models::unicode
