// tests/support/serve_process.h — `weft serve` as a child process for the server tests: started on
// a free loopback port with the folders given, waited for until it answers, stopped or killed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace weft::testing {

class ServeProcess {
public:
    /// Starts `<WEFT_CLI_PATH> serve --listen 127.0.0.1 --port <port> <extra_args...>`, its
    /// stdout and stderr going to `log_file`.
    ServeProcess(uint16_t port, const std::vector<std::string>& extra_args, std::filesystem::path log_file);
    /// Stops the process if it still runs (SIGTERM, then SIGKILL after a few seconds).
    ~ServeProcess();
    ServeProcess(const ServeProcess&) = delete;
    ServeProcess& operator=(const ServeProcess&) = delete;

    /// Waits until GET /prompt answers 200; false when the process exited or the time ran out.
    bool wait_ready(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// SIGKILL now and reap it: nothing in the process gets to run any more.
    void kill_hard();
    /// SIGTERM, then SIGKILL after `grace`; returns the exit status (128 + signal when killed).
    int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));
    bool running();

    uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }
    /// What the process printed so far (for failure messages).
    std::string log() const;

private:
    uint16_t port_;
    std::filesystem::path log_file_;
    pid_t pid_ = -1;
    int status_ = -1;
};

}  // namespace weft::testing
