#include "sd15_tiny.h"

#include <cstdlib>
#include <mutex>

#include <unistd.h>

namespace weft::testing {

namespace fs = std::filesystem;

namespace {

struct Made {
    std::mutex mutex;
    bool tried = false;
    fs::path path;
    std::string reason;
};

fs::path generated_checkpoint(Made& memo, const std::string& preset, const std::string& folder, const std::string& file,
                              std::string& why) {
    std::lock_guard lock(memo.mutex);
    if (!memo.tried) {
        memo.tried = true;
        const fs::path tool = fs::path(WEFT_SHARED_DIR) / "tools" / "make_sd15_checkpoint.py";
        const fs::path ckpt = fs::path(WEFT_CLI_PATH).parent_path() / "test-models" / folder / "checkpoints" / file;
        if (fs::exists(ckpt)) {
            memo.path = ckpt;
        } else if (!fs::exists(tool)) {
            memo.reason = "the shared reference folder (its checkpoint generator) is absent: " + tool.string();
        } else if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
            memo.reason = "/usr/bin/python3 with numpy (Debian's python3-numpy) is needed to regenerate the checkpoint";
        } else {
            fs::create_directories(ckpt.parent_path());
            const fs::path part = ckpt.string() + "." + std::to_string(::getpid()) + ".part";
            const std::string cmd = "/usr/bin/python3 '" + tool.string() + "' --preset " + preset +
                                    " --seed 1234 --dtype fp16 --out '" + part.string() + "' >/dev/null";
            if (std::system(cmd.c_str()) != 0) {
                memo.reason = "make_sd15_checkpoint.py --preset " + preset + " failed";
                std::error_code ec;
                fs::remove(part, ec);
            } else {
                fs::rename(part, ckpt);  // atomic: a partial file is never visible under the final name
                memo.path = ckpt;
            }
        }
    }
    why = memo.reason;
    return memo.path;
}

}  // namespace

fs::path tiny_sd15_checkpoint(std::string& why) {
    static Made memo;
    return generated_checkpoint(memo, "tiny", "sd15-tiny", "sd15_tiny_random.safetensors", why);
}

fs::path full_sd15_checkpoint(std::string& why) {
    static Made memo;
    return generated_checkpoint(memo, "full", "sd15-full", "sd15_full_random_fp16.safetensors", why);
}

}  // namespace weft::testing
