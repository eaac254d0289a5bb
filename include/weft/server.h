// weft/server.h — `weft serve`: ComfyUI's HTTP + WebSocket API on one port.
//
//   weft::server::ServerConfig config;
//   config.port = 0;                       // an ephemeral port (tests)
//   weft::server::Server server(config);
//   server.start();                        // returns once listening
//   std::printf("listening on %u\n", unsigned(server.port()));
//   server.stop();                         // or let the destructor do it
//
// The HTTP side never blocks on execution: prompts go to a SQLite-backed queue (JobStore) and one
// worker thread runs them in a long-lived weft::Session. Network I/O runs on its own small
// io_context, apart from the compute threads.
#pragma once

#include <weft/registry.h>
#include <weft/session.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace weft::server {

/// How sampler previews are sent: none, or Latent2RGB images as binary WebSocket frames.
enum class PreviewMethod { None, Latent2Rgb };

/// ComfyUI's preview method names: "none"; "latent2rgb"; "auto" and "taesd" (weft has no TAESD
/// decoder, so both mean Latent2RGB, as ComfyUI's auto does without one). "default" and unknown
/// names give nullopt: the caller keeps the server's method.
std::optional<PreviewMethod> parse_preview_method(std::string_view name);

struct ServerConfig {
    std::string listen = "127.0.0.1";  // loopback unless asked otherwise
    uint16_t port = 8188;              // 0 = any free port (see Server::port())
    Folders folders;
    CacheOptions cache;
    Precision precision = Precision::F32;  // the networks' arithmetic (weft serve --precision)
    int threads = 0;                   // compute threads for the session (0 = one per core)
    int io_threads = 2;                // network threads
    /// The queue and history database; empty = <user folder>/weft/queue.db.
    std::filesystem::path database;
    /// A built frontend (index.html and its assets) served at "/"; empty = none.
    std::filesystem::path front_end_root;
    /// The largest request body accepted (ComfyUI's --max-upload-size, 100 MB by default).
    size_t max_body_bytes = size_t(100) << 20;
    /// The node types served; null = weft's built-in nodes.
    std::shared_ptr<const NodeRegistry> registry;
    /// Latent previews of sampling nodes, sent as binary WebSocket frames (--preview-method); a
    /// prompt's extra_data.preview_method overrides it for that prompt.
    PreviewMethod preview_method = PreviewMethod::Latent2Rgb;
};

class Server {
public:
    explicit Server(ServerConfig config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Opens the store, binds, and starts the network and worker threads. Throws weft::Error
    /// when the address cannot be bound or the store cannot be opened.
    void start();
    /// Stops accepting, cancels the running prompt, closes connections and joins every thread.
    void stop();
    /// Blocks until stop() is called from another thread (the CLI waits here).
    void wait();
    /// The bound port (the chosen one when the config asked for 0).
    uint16_t port() const;
    const ServerConfig& config() const;

    /// Prompts finished since start (tests wait on it).
    int64_t finished_prompts() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace weft::server
