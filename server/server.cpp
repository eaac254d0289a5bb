#include <weft/server.h>

#include "beast.h"
#include "listener.h"
#include "server_state.h"

#include <weft/error.h>

#include <fmt/format.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace weft::server {

struct Server::Impl {
    ServerConfig config;
    std::unique_ptr<JobStore> store;
    ClientRegistry clients;
    std::unique_ptr<PromptWorker> worker;
    std::unique_ptr<ServerState> state;
    net::io_context ioc;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::shared_ptr<Listener> listener;
    std::vector<std::thread> threads;
    std::mutex mutex;
    std::condition_variable stopped_cv;
    bool running = false;
};

Server::Server(ServerConfig config) : impl_(std::make_unique<Impl>()) { impl_->config = std::move(config); }

Server::~Server() { stop(); }

void Server::start() {
    Impl& m = *impl_;
    if (m.running) return;
    ServerConfig& c = m.config;
    if (!c.registry) c.registry = builtin_registry();
    if (c.database.empty()) c.database = c.folders.user / "weft" / "queue.db";
    std::error_code ec;
    if (c.database.has_parent_path()) std::filesystem::create_directories(c.database.parent_path(), ec);
    for (const auto* dir : {&c.folders.input, &c.folders.output, &c.folders.temp}) std::filesystem::create_directories(*dir, ec);
    // ComfyUI clears the temp folder at startup: previews are only for the running session.
    for (const auto& entry : std::filesystem::directory_iterator(c.folders.temp, ec)) std::filesystem::remove_all(entry.path(), ec);

    m.store = std::make_unique<JobStore>(c.database);
    SessionOptions so;
    so.folders = c.folders;
    so.cache = c.cache;
    so.threads = c.threads;
    so.precision = c.precision;
    m.worker = std::make_unique<PromptWorker>(c.registry, so, *m.store, m.clients, c.preview_method);
    m.state = std::unique_ptr<ServerState>(new ServerState{m.config, *m.store, m.clients, *m.worker, Router{}});
    add_prompt_routes(*m.state);
    add_queue_routes(*m.state);
    add_history_routes(*m.state);
    add_upload_routes(*m.state);
    add_info_routes(*m.state);
    add_jobs_routes(*m.state);
    add_view_routes(*m.state);  // last: it serves the front end's files at any remaining path

    beast::error_code bec;
    const auto address = net::ip::make_address(c.listen, bec);
    if (bec) throw Error(ErrorCode::ServerError, fmt::format("invalid listen address '{}': {}", c.listen, bec.message()));
    m.listener = std::make_shared<Listener>(m.ioc, tcp::endpoint(address, c.port), *m.state);
    m.work.emplace(m.ioc.get_executor());
    m.listener->run();
    const int n = std::max(1, c.io_threads);
    for (int i = 0; i < n; ++i) m.threads.emplace_back([&m] { m.ioc.run(); });
    m.worker->start();
    std::lock_guard lock(m.mutex);
    m.running = true;
}

void Server::stop() {
    Impl& m = *impl_;
    {
        std::lock_guard lock(m.mutex);
        if (!m.running) return;
        m.running = false;
    }
    if (m.listener) m.listener->close();
    if (m.worker) m.worker->stop();
    m.work.reset();
    m.ioc.stop();
    for (auto& t : m.threads) t.join();
    m.threads.clear();
    m.stopped_cv.notify_all();
}

void Server::wait() {
    std::unique_lock lock(impl_->mutex);
    impl_->stopped_cv.wait(lock, [&] { return !impl_->running; });
}

uint16_t Server::port() const { return impl_->listener ? impl_->listener->port() : 0; }

const ServerConfig& Server::config() const { return impl_->config; }

int64_t Server::finished_prompts() const { return impl_->worker ? impl_->worker->finished_count() : 0; }

}  // namespace weft::server
