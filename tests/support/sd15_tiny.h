// tests/support/sd15_tiny.h — the random SD1.5 checkpoints the goldens were made with, shared by
// every test that needs them (made once per build folder by ../shared/tools/make_sd15_checkpoint.py:
// the tiny one takes ~20-30 s and 628 MB, the full-size one ~25-60 s and 2.1 GB).
#pragma once

#include <filesystem>
#include <string>

namespace weft::testing {

/// <build>/test-models/sd15-tiny/checkpoints/sd15_tiny_random.safetensors, written by
/// ../shared/tools/make_sd15_checkpoint.py --preset tiny --seed 1234 --dtype fp16 when absent.
/// Returns an empty path and sets `why` when the tool, the shared folder or numpy is missing.
/// Safe when several test processes ask at once (each writes its own part file, then renames).
std::filesystem::path tiny_sd15_checkpoint(std::string& why);

/// <build>/test-models/sd15-full/checkpoints/sd15_full_random_fp16.safetensors (--preset full),
/// the checkpoint of the full-size golden; as above otherwise.
std::filesystem::path full_sd15_checkpoint(std::string& why);

}  // namespace weft::testing
