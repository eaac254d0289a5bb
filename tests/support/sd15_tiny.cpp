#include "sd15_tiny.h"

#include <cstdlib>
#include <mutex>

#include <unistd.h>

namespace weft::testing {

namespace fs = std::filesystem;

fs::path tiny_sd15_checkpoint(std::string& why) {
    static std::mutex mutex;
    static fs::path made;
    static std::string reason;
    static bool tried = false;
    std::lock_guard lock(mutex);
    if (!tried) {
        tried = true;
        const fs::path tool = fs::path(WEFT_SHARED_DIR) / "tools" / "make_sd15_checkpoint.py";
        const fs::path ckpt = fs::path(WEFT_CLI_PATH).parent_path() / "test-models" / "sd15-tiny" / "checkpoints" / "sd15_tiny_random.safetensors";
        if (fs::exists(ckpt)) {
            made = ckpt;
        } else if (!fs::exists(tool)) {
            reason = "the shared reference folder (its checkpoint generator) is absent: " + tool.string();
        } else if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
            reason = "/usr/bin/python3 with numpy (Debian's python3-numpy) is needed to regenerate the checkpoint";
        } else {
            fs::create_directories(ckpt.parent_path());
            const fs::path part = ckpt.string() + "." + std::to_string(::getpid()) + ".part";
            const std::string cmd = "/usr/bin/python3 '" + tool.string() + "' --preset tiny --seed 1234 --dtype fp16 --out '" + part.string() + "' >/dev/null";
            if (std::system(cmd.c_str()) != 0) {
                reason = "make_sd15_checkpoint.py failed";
            } else {
                fs::rename(part, ckpt);  // atomic: a partial file is never visible under the final name
                made = ckpt;
            }
        }
    }
    why = reason;
    return made;
}

}  // namespace weft::testing
