#include "serve_process.h"

#include "http_test_client.h"
#include "process_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

namespace weft::testing {

ServeProcess::ServeProcess(uint16_t port, const std::vector<std::string>& extra_args, std::filesystem::path log_file)
    : port_(port), log_file_(std::move(log_file)) {
    std::vector<std::string> args = {WEFT_CLI_PATH, "serve", "--listen", "127.0.0.1", "--port", std::to_string(port)};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (std::string& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (in < 0 || out < 0) _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        execv(argv[0], argv.data());
        _exit(127);
    }
}

ServeProcess::~ServeProcess() {
    if (pid_ > 0) stop(std::chrono::seconds(5));
}

bool ServeProcess::running() {
    if (pid_ <= 0) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
        status_ = status;
        pid_ = -1;
        return false;
    }
    return true;
}

bool ServeProcess::wait_ready(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!running()) return false;
        try {
            if (http_request(port_, "GET", "/prompt", {}, 2000).status == 200) return true;
        } catch (const std::exception&) {
            // not listening yet
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

void ServeProcess::kill_hard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0) {
    }
    status_ = status;
    pid_ = -1;
}

int ServeProcess::stop(std::chrono::milliseconds grace) {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + grace;
        while (running() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (pid_ > 0) kill_hard();
    }
    if (WIFEXITED(status_)) return WEXITSTATUS(status_);
    if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
    return -1;
}

std::string ServeProcess::log() const {
    try {
        return read_text_file(log_file_);
    } catch (const std::exception&) {
        return {};
    }
}

}  // namespace weft::testing
