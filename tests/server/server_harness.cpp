#include "server_harness.h"

#include "server/beast.h"

#include <weft/node.h>
#include <weft/registry.h>

#include <atomic>
#include <cctype>
#include <limits>
#include <future>

#include <sys/socket.h>
#include <unistd.h>
#include <random>
#include <thread>

namespace weft::server_test {

namespace fs = std::filesystem;
using namespace weft::server;
using nlohmann::json;

HttpReply http_request(uint16_t port, const std::string& method, const std::string& target, const std::string& body,
                       const std::string& content_type) {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(60));
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    Request req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty() || method == "POST") {
        req.set(http::field::content_type, content_type);
        req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    http::read(stream, buffer, parser);
    const auto& res = parser.get();
    HttpReply reply;
    reply.status = res.result_int();
    reply.body = res.body();
    for (const auto& f : res) {
        std::string name(to_std(f.name_string()));
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        reply.headers[name] = std::string(to_std(f.value()));
    }
    beast::error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return reply;
}

std::string raw_exchange(uint16_t port, const std::string& raw) {
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    net::write(socket, net::buffer(raw));
    socket.shutdown(tcp::socket::shutdown_send);
    std::string out;
    std::array<char, 4096> buf{};
    beast::error_code ec;
    const timeval tv{5, 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (true) {
        const size_t n = socket.read_some(net::buffer(buf), ec);
        if (ec || n == 0) break;
        out.append(buf.data(), n);
    }
    return out;
}

MultipartBody multipart(const std::vector<std::tuple<std::string, std::string, std::string>>& files,
                        const std::vector<std::pair<std::string, std::string>>& fields) {
    const std::string boundary = "----weftTestBoundary7MA4YWxkTrZu0gW";
    MultipartBody m;
    m.content_type = "multipart/form-data; boundary=" + boundary;
    for (const auto& [name, filename, data] : files)
        m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + filename +
                  "\"\r\nContent-Type: application/octet-stream\r\n\r\n" + data + "\r\n";
    for (const auto& [name, value] : fields)
        m.body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n";
    m.body += "--" + boundary + "--\r\n";
    return m;
}

// ---- WsClient ----

struct WsClient::Impl {
    net::io_context ioc;
    websocket::stream<beast::tcp_stream> ws{ioc};
    beast::flat_buffer buffer;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<WsMessage> messages;
    bool closed = false;

    void read() {
        ws.async_read(buffer, [this](beast::error_code ec, size_t) {
            std::lock_guard lock(mutex);
            if (ec) {
                closed = true;
                cv.notify_all();
                return;
            }
            messages.push_back(WsMessage{!ws.got_text(), beast::buffers_to_string(buffer.data())});
            buffer.consume(buffer.size());
            cv.notify_all();
            read();
        });
    }
};

WsClient::WsClient(uint16_t port, const std::string& target) : impl_(std::make_unique<Impl>()) {
    beast::get_lowest_layer(impl_->ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    impl_->ws.handshake("127.0.0.1:" + std::to_string(port), target);
    impl_->read();
    impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

WsClient::~WsClient() {
    net::post(impl_->ioc, [this] {
        beast::error_code ec;
        beast::get_lowest_layer(impl_->ws).socket().close(ec);
    });
    impl_->thread.join();
}

std::optional<WsMessage> WsClient::next(std::chrono::milliseconds timeout) {
    std::unique_lock lock(impl_->mutex);
    if (!impl_->cv.wait_for(lock, timeout, [&] { return !impl_->messages.empty() || impl_->closed; })) return std::nullopt;
    if (impl_->messages.empty()) return std::nullopt;
    WsMessage m = std::move(impl_->messages.front());
    impl_->messages.pop_front();
    return m;
}

json WsClient::next_json(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return json(json::value_t::discarded);
        auto m = next(left);
        if (!m) return json(json::value_t::discarded);
        if (!m->binary) return json::parse(m->data, nullptr, false);
    }
}

std::vector<json> WsClient::collect_until(const std::function<bool(const json&)>& done, std::chrono::milliseconds timeout) {
    std::vector<json> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return out;
        json m = next_json(left);
        if (m.is_discarded()) return out;
        out.push_back(m);
        if (done(m)) return out;
    }
}

std::vector<WsMessage> WsClient::drain(std::chrono::milliseconds wait) {
    std::vector<WsMessage> out;
    while (auto m = next(wait)) out.push_back(std::move(*m));
    return out;
}

void WsClient::send_text(const std::string& text) {
    std::promise<void> done;
    net::post(impl_->ioc, [&] {
        beast::error_code ec;
        impl_->ws.text(true);
        impl_->ws.write(net::buffer(text), ec);
        done.set_value();
    });
    // Bounded: when the connection is gone the reader thread has stopped and nothing runs this.
    done.get_future().wait_for(std::chrono::seconds(5));
}

void WsClient::abort() {
    std::promise<void> done;
    net::post(impl_->ioc, [&] {
        beast::error_code ec;
        auto& socket = beast::get_lowest_layer(impl_->ws).socket();
        const linger l{1, 0};  // reset, no FIN handshake: the peer sees the connection vanish
        setsockopt(socket.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
        socket.close(ec);
        done.set_value();
    });
    done.get_future().wait_for(std::chrono::seconds(5));
}

bool is_run_end(const json& m, const std::string& prompt_id) {
    return m.is_object() && m.value("type", "") == "executing" && m["data"].is_object() && m["data"]["node"].is_null() &&
           m["data"].value("prompt_id", "") == prompt_id;
}

// ---- test nodes ----

void add_server_test_nodes(NodeRegistry& registry) {
    NodeDefinition slow{NodeSchema("TestSlowCounter")
                            .category("testing")
                            .required(Input::integer("steps", 3).min(Value(int64_t(0))).max(Value(int64_t(100000))))
                            .required(Input::integer("ms", 10).min(Value(int64_t(0))).max(Value(int64_t(10000))))
                            .output("INT")
                            .output_node()};
    slow.execute = [](NodeContext& ctx) {
        const int64_t steps = ctx.get_int("steps"), ms = ctx.get_int("ms");
        for (int64_t i = 0; i < steps; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            ctx.progress(double(i + 1), double(steps));
        }
        ctx.set_output(0, Value(steps));
        ctx.set_ui(Dict{{"text", Value(List{Value(std::to_string(steps))})}});
    };
    registry.add(std::move(slow));

    NodeDefinition fail{NodeSchema("TestFail").category("testing").required(Input::string("message", "boom")).output_node()};
    fail.execute = [](NodeContext& ctx) { throw Error(ErrorCode::InternalError, ctx.get_string("message")); };
    registry.add(std::move(fail));
}

// ---- TestServer ----

namespace {

fs::path fresh_root() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    const fs::path p = fs::temp_directory_path() /
                       ("weft-server-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + std::to_string(rd() % 100000));
    fs::create_directories(p);
    return p;
}

}  // namespace

TestServer::TestServer(const std::function<void(ServerConfig&)>& tweak) : root_(fresh_root()) {
    config_.listen = "127.0.0.1";
    config_.port = 0;
    config_.folders.input = root_ / "input";
    config_.folders.output = root_ / "output";
    config_.folders.temp = root_ / "temp";
    config_.folders.user = root_ / "user";
    config_.folders.models = {root_ / "models"};
    config_.database = root_ / "user" / "queue.db";
    config_.threads = 2;
    config_.io_threads = 2;
    config_.max_body_bytes = size_t(4) << 20;
    auto registry = builtin_registry();
    add_server_test_nodes(*registry);
    config_.registry = registry;
    if (tweak) tweak(config_);
    server_ = std::make_unique<Server>(config_);
    server_->start();
}

TestServer::~TestServer() {
    server_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
}

void TestServer::restart() {
    server_.reset();
    server_ = std::make_unique<Server>(config_);
    server_->start();
}

HttpReply TestServer::queue_prompt(const json& prompt, json extra) const {
    extra["prompt"] = prompt;
    return post("/prompt", extra.dump());
}

json TestServer::wait_history(const std::string& prompt_id, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const json h = get("/history/" + prompt_id).json();
        if (h.is_object() && h.contains(prompt_id)) return h[prompt_id];
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return json(json::value_t::discarded);
}

json invert_prompt(const std::string& prefix, int width, int height) {
    return {{"1", {{"class_type", "EmptyImage"}, {"inputs", {{"width", width}, {"height", height}, {"batch_size", 1}, {"color", 0x3366cc}}}}},
            {"2", {{"class_type", "ImageInvert"}, {"inputs", {{"image", {"1", 0}}}}}},
            {"3", {{"class_type", "SaveImage"}, {"inputs", {{"images", {"2", 0}}, {"filename_prefix", prefix}}}}}};
}

}  // namespace weft::server_test
