// server_load_bench — the server's queue under concurrent clients.
//
// An in-process `weft serve` (server/server.h) on an ephemeral loopback port; C clients (threads,
// each with one keep-alive Beast HTTP connection) POST N trivial prompts between them
// (PrimitiveString -> PreviewAny, a distinct string each so none is a cache hit). Prints how fast
// prompts were accepted and completed, the POST /prompt latency, and fails (exit 1) unless every
// prompt ends in /history as a success and the queue is empty.
//
//   server_load_bench [prompts=500] [clients=8]
#include <weft/server.h>

#include <utility>   // before Boost.Asio: Boost 1.74's awaitable.hpp uses std::exchange

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <weft/weft.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// One keep-alive connection; reconnects when the server closed it.
class Connection {
public:
    explicit Connection(uint16_t port) : port_(port), stream_(ioc_) {}

    std::pair<int, std::string> request(http::verb verb, const std::string& target, const std::string& body = {}) {
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (!open_) connect();
            http::request<http::string_body> req(verb, target, 11);
            req.set(http::field::host, "127.0.0.1");
            if (!body.empty()) {
                req.set(http::field::content_type, "application/json");
                req.body() = body;
            }
            req.prepare_payload();
            beast::error_code ec;
            stream_.expires_after(std::chrono::seconds(60));
            http::write(stream_, req, ec);
            http::response<http::string_body> res;
            if (!ec) http::read(stream_, buffer_, res, ec);
            if (ec) {  // a closed keep-alive connection: once more on a fresh one
                close();
                continue;
            }
            if (!res.keep_alive()) close();
            return {static_cast<int>(res.result_int()), std::move(res.body())};
        }
        throw std::runtime_error("request " + target + " failed twice");
    }

private:
    void connect() {
        stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
        open_ = true;
    }
    void close() {
        beast::error_code ec;
        stream_.socket().close(ec);
        buffer_.clear();
        open_ = false;
    }

    uint16_t port_;
    net::io_context ioc_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    bool open_ = false;
};

json trivial_prompt(int i) {
    return {{"1", {{"class_type", "PrimitiveString"}, {"inputs", {{"value", "prompt " + std::to_string(i)}}}}},
            {"2", {{"class_type", "PreviewAny"}, {"inputs", {{"source", {"1", 0}}}}}}};
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
    const int prompts = argc > 1 ? std::atoi(argv[1]) : 500;
    const int clients = argc > 2 ? std::atoi(argv[2]) : 8;
    if (prompts <= 0 || clients <= 0) {
        std::fprintf(stderr, "usage: server_load_bench [prompts=500] [clients=8]\n");
        return 2;
    }

    namespace fs = std::filesystem;
    const fs::path root = fs::temp_directory_path() / ("weft-server-load-" + std::to_string(std::random_device{}()));
    fs::create_directories(root);
    int rc = 0;
    try {
        weft::server::ServerConfig config;
        config.port = 0;
        config.folders.input = root / "input";
        config.folders.output = root / "output";
        config.folders.temp = root / "temp";
        config.folders.user = root / "user";
        config.folders.models = {root / "models"};
        weft::server::Server server(config);
        server.start();
        const uint16_t port = server.port();

        std::vector<std::vector<std::string>> ids(clients);
        std::vector<std::vector<double>> latency(clients);
        std::atomic<int> next{0}, rejected{0};
        const auto t0 = Clock::now();
        std::vector<std::thread> threads;
        for (int c = 0; c < clients; ++c)
            threads.emplace_back([&, c] {
                Connection conn(port);
                for (int i = next++; i < prompts; i = next++) {
                    json body = {{"prompt", trivial_prompt(i)}, {"client_id", "bench-" + std::to_string(c)}};
                    const auto t = Clock::now();
                    auto [status, text] = conn.request(http::verb::post, "/prompt", body.dump());
                    latency[c].push_back(seconds_since(t) * 1e3);
                    json r = json::parse(text, nullptr, false);
                    if (status != 200 || !r.is_object() || !r.contains("prompt_id")) {
                        std::fprintf(stderr, "POST /prompt answered %d: %s\n", status, text.c_str());
                        ++rejected;
                        continue;
                    }
                    ids[c].push_back(r["prompt_id"].get<std::string>());
                }
            });
        for (auto& t : threads) t.join();
        const double queued_s = seconds_since(t0);

        // Wait for the worker to drain the queue (bounded: a stuck queue is a failure, not a hang).
        const int accepted = prompts - rejected.load();
        while (server.finished_prompts() < accepted && seconds_since(t0) < 600)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        const double done_s = seconds_since(t0);

        Connection conn(port);
        json history = json::parse(conn.request(http::verb::get, "/history").second);
        json queue = json::parse(conn.request(http::verb::get, "/queue").second);
        int missing = 0, failed = 0;
        std::set<std::string> all;
        for (const auto& v : ids) all.insert(v.begin(), v.end());
        for (const std::string& id : all) {
            if (!history.contains(id)) ++missing;
            else if (history[id]["status"]["status_str"] != "success") ++failed;
        }
        std::vector<double> lat;
        for (const auto& v : latency) lat.insert(lat.end(), v.begin(), v.end());

        std::printf("server_load_bench: %d prompts from %d clients (PrimitiveString -> PreviewAny)\n", prompts, clients);
        std::printf("  queued    %d in %.3f s: %.1f prompts/s (POST /prompt p50 %.2f ms, p99 %.2f ms)\n", accepted, queued_s,
                    accepted / queued_s, percentile(lat, 0.5), percentile(lat, 0.99));
        std::printf("  completed %lld in %.3f s: %.1f prompts/s\n", static_cast<long long>(server.finished_prompts()), done_s,
                    static_cast<double>(server.finished_prompts()) / done_s);
        std::printf("  history %zu entries, missing %d, failed %d, rejected %d, unique ids %zu; queue running %zu pending %zu\n",
                    history.size(), missing, failed, rejected.load(), all.size(), queue["queue_running"].size(),
                    queue["queue_pending"].size());
        if (missing || failed || rejected || static_cast<int>(all.size()) != prompts || !queue["queue_running"].empty() ||
            !queue["queue_pending"].empty()) {
            std::printf("FAIL: prompts were lost or failed\n");
            rc = 1;
        } else {
            std::printf("OK: none lost\n");
        }
        server.stop();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "server_load_bench: %s\n", e.what());
        rc = 1;
    }
    std::error_code ec;
    fs::remove_all(root, ec);
    return rc;
}
