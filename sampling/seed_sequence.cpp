// sampling/seed_sequence.cpp — numpy SeedSequence: hashmix/mix over a uint32 pool.
#include "sampling/seed_sequence.h"

namespace weft::models {

namespace {

constexpr uint32_t kInitA = 0x43b0d7e5u, kMultA = 0x931e8875u;
constexpr uint32_t kInitB = 0x8b51f9ddu, kMultB = 0x58f38dedu;
constexpr uint32_t kMixL = 0xca01f9ddu, kMixR = 0x4973f715u;

uint32_t hashmix(uint32_t value, uint32_t& hash_const) {
    value ^= hash_const;
    hash_const *= kMultA;
    value *= hash_const;
    value ^= value >> 16;
    return value;
}

uint32_t mix(uint32_t x, uint32_t y) {
    uint32_t r = kMixL * x - kMixR * y;
    r ^= r >> 16;
    return r;
}

void append_words(std::vector<uint32_t>& out, uint64_t v) {
    if (v == 0) {
        out.push_back(0);
        return;
    }
    while (v > 0) {
        out.push_back(static_cast<uint32_t>(v & 0xffffffffu));
        v >>= 32;
    }
}

}  // namespace

SeedSequence::SeedSequence(uint64_t entropy, const std::vector<uint64_t>& spawn_key, int pool_size)
    : pool_(static_cast<size_t>(pool_size), 0u) {
    std::vector<uint32_t> words;
    append_words(words, entropy);
    if (!spawn_key.empty() && words.size() < pool_.size()) words.resize(pool_.size(), 0u);
    for (uint64_t k : spawn_key) append_words(words, k);

    uint32_t h = kInitA;
    for (size_t i = 0; i < pool_.size(); ++i) pool_[i] = hashmix(i < words.size() ? words[i] : 0u, h);
    for (size_t src = 0; src < pool_.size(); ++src)
        for (size_t dst = 0; dst < pool_.size(); ++dst)
            if (src != dst) pool_[dst] = mix(pool_[dst], hashmix(pool_[src], h));
    for (size_t src = pool_.size(); src < words.size(); ++src)
        for (size_t dst = 0; dst < pool_.size(); ++dst) pool_[dst] = mix(pool_[dst], hashmix(words[src], h));
}

std::vector<uint32_t> SeedSequence::generate_state(int n_words) const {
    std::vector<uint32_t> out(static_cast<size_t>(n_words));
    uint32_t h = kInitB;
    for (size_t i = 0; i < out.size(); ++i) {
        uint32_t v = pool_[i % pool_.size()];
        v ^= h;
        h *= kMultB;
        v *= h;
        v ^= v >> 16;
        out[i] = v;
    }
    return out;
}

}  // namespace weft::models
