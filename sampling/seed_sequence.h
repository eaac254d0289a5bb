// sampling/seed_sequence.h — numpy.random.SeedSequence's hashing (entropy pool and
// generate_state), which torchsde uses to derive the seed of every Brownian-tree node.
//
//   SeedSequence ss(42, {spawn_key, depth}, 24);
//   std::vector<uint32_t> seeds = ss.generate_state(4);
//
// Integers are split into little-endian 32-bit words (0 -> one zero word). With a non-empty spawn
// key the entropy words are zero-padded to the pool size first (numpy >= 1.19).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weft::models {

class SeedSequence {
public:
    SeedSequence(uint64_t entropy, const std::vector<uint64_t>& spawn_key = {}, int pool_size = 4);
    std::vector<uint32_t> generate_state(int n_words) const;

private:
    std::vector<uint32_t> pool_;
};

}  // namespace weft::models
