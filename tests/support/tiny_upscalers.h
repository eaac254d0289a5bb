// tests/support/tiny_upscalers.h — tiny random upscale models the tests write themselves: ESRGAN
// RRDBNets (canonical old-layout names, renamed to the Real-ESRGAN or BSRGAN layout on request)
// and compact SRVGG nets.
#pragma once

#include <weft/tensor.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace weft::testing {

using TensorMap = std::map<std::string, Tensor>;

/// A deterministic N(0, 1)·std F32 tensor.
Tensor random_normal(const Shape& shape, float std, uint32_t seed);

struct RrdbSpec {
    int64_t in = 3;         // first conv's input channels (3·f² for pixel-unshuffle models)
    int64_t out = 3;
    int64_t nf = 8;
    int64_t gc = 4;
    int64_t nb = 2;
    int64_t upsamples = 2;  // network scale 2^upsamples
};

/// Weights under the old-layout names ("model.0.weight", "model.1.sub.0.RDB1.conv1.0.weight", ...).
TensorMap tiny_rrdb(const RrdbSpec& s, uint32_t seed);
/// The same weights named for `layout`: "old", "new" (conv_first, body.i.rdbk.convj, conv_body,
/// conv_up, conv_hr, conv_last) or "bsrgan" (RRDB_trunk, trunk_conv, upconv, HRconv).
std::vector<std::pair<std::string, Tensor>> rrdb_in_layout(const TensorMap& canonical, const RrdbSpec& s, const std::string& layout,
                                                           const std::string& prefix = "");

struct SrvggSpec {
    int64_t in = 3;
    int64_t feat = 8;
    int64_t convs = 3;
    int64_t scale = 4;
};
/// "body.{i}.weight/bias" for convs (even i) and "body.{i}.weight" PReLU slopes (odd i).
TensorMap tiny_srvgg(const SrvggSpec& s, uint32_t seed);

/// Writes `tensors` as safetensors at `path` (creating its folder).
void write_model(const std::filesystem::path& path, const std::vector<std::pair<std::string, Tensor>>& tensors);
void write_model(const std::filesystem::path& path, const TensorMap& tensors);

}  // namespace weft::testing
