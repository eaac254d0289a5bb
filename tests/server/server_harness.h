// tests/server/server_harness.h (namespace weft::server_test) — an in-process `weft serve` on an ephemeral loopback port, and a
// tiny blocking HTTP client and WebSocket client for talking to it (Boost.Beast).
//
//   weft::testing::TestServer srv;                      // temp folders, port 0, test nodes added
//   auto r = srv.post("/prompt", R"({"prompt": ...})");
//   EXPECT_EQ(r.status, 200);
//   weft::testing::WsClient ws(srv.port(), "/ws?clientId=me");
//   nlohmann::json m = ws.next_json();                  // {"type": "status", ...}
#pragma once

#include <weft/server.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace weft::server_test {

/// Writes `data` to `p`, creating its folders.
inline void write_bytes(const std::filesystem::path& p, const std::string& data) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
}

/// The whole file ("" when it cannot be read).
inline std::string read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

struct HttpReply {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lowercase names
    /// The body as JSON (discarded value when it is not JSON).
    nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

/// One request on a fresh connection to 127.0.0.1:port.
HttpReply http_request(uint16_t port, const std::string& method, const std::string& target, const std::string& body = {},
                       const std::string& content_type = "application/json");

/// Sends `raw` bytes as they are and returns what the server answered (up to EOF or 5 s).
std::string raw_exchange(uint16_t port, const std::string& raw);

/// A multipart/form-data body: `files` are (field, filename, bytes), `fields` (name, value).
struct MultipartBody {
    std::string content_type;
    std::string body;
};
MultipartBody multipart(const std::vector<std::tuple<std::string, std::string, std::string>>& files,
                        const std::vector<std::pair<std::string, std::string>>& fields);

struct WsMessage {
    bool binary = false;
    std::string data;
};

/// A WebSocket client reading on its own thread into a queue.
class WsClient {
public:
    WsClient(uint16_t port, const std::string& target);
    ~WsClient();
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    /// The next message, or nullopt after `timeout` or when the connection closed.
    std::optional<WsMessage> next(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    /// The next text message as JSON (binary frames skipped); a discarded value on timeout.
    nlohmann::json next_json(std::chrono::milliseconds timeout = std::chrono::seconds(20));
    /// Text messages until one satisfies `done` (included); stops early on timeout.
    std::vector<nlohmann::json> collect_until(const std::function<bool(const nlohmann::json&)>& done,
                                              std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Every message received so far and within `wait`, without blocking longer.
    std::vector<WsMessage> drain(std::chrono::milliseconds wait = std::chrono::milliseconds(200));
    void send_text(const std::string& text);
    /// Drops the TCP connection without a close handshake (a client vanishing).
    void abort();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// `executing` with node null for `prompt_id`: the end of a run.
bool is_run_end(const nlohmann::json& m, const std::string& prompt_id);

/// Registers the test nodes: "TestSlowCounter" (output node; `steps` progress reports `ms` apart,
/// UI {"text": ["<steps>"]}) and "TestFail" (output node that always throws).
void add_server_test_nodes(NodeRegistry& registry);

class TestServer {
public:
    /// Starts a server on an ephemeral loopback port with folders in a fresh temp folder;
    /// `tweak` may change the config first.
    explicit TestServer(const std::function<void(server::ServerConfig&)>& tweak = {});
    ~TestServer();

    uint16_t port() const { return server_->port(); }
    const std::filesystem::path& root() const { return root_; }
    const server::ServerConfig& config() const { return server_->config(); }
    server::Server& server() { return *server_; }
    /// Stops and starts a new server on the same folders and database (a restart).
    void restart();

    HttpReply get(const std::string& target) const { return http_request(port(), "GET", target); }
    HttpReply post(const std::string& target, const std::string& body) const { return http_request(port(), "POST", target, body); }
    /// POSTs {"prompt": prompt, ...extra} and returns the reply.
    HttpReply queue_prompt(const nlohmann::json& prompt, nlohmann::json extra = nlohmann::json::object()) const;
    /// Polls GET /history/{id} until the entry appears; a discarded value on timeout.
    nlohmann::json wait_history(const std::string& prompt_id, std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

private:
    server::ServerConfig config_;
    std::filesystem::path root_;
    std::unique_ptr<server::Server> server_;
};

/// The model-free demo: EmptyImage -> ImageInvert -> SaveImage (prefix `prefix`).
nlohmann::json invert_prompt(const std::string& prefix = "weft_test", int width = 32, int height = 24);

}  // namespace weft::server_test
