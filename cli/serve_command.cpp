#include "serve_command.h"

#include "exit_codes.h"

#include <weft/server.h>

#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <pthread.h>

namespace weft::cli {

void add_serve_command(CLI::App& app, ServeArgs& a) {
    CLI::App* serve = app.add_subcommand("serve", "Serve ComfyUI's HTTP + WebSocket API (loopback by default)");
    a.command = serve;
    serve->add_option("--listen", a.listen, "Address to listen on (0.0.0.0 for every interface)")->type_name("ADDR")->capture_default_str();
    serve->add_option("--port", a.port, "Port for HTTP and WebSocket (0 = any free port)")->check(CLI::Range(0, 65535))->capture_default_str();
    a.folders.add_to(*serve);
    serve->add_option("--user-dir", a.user_dir, "User folder; holds the queue database (default ./user)")->type_name("DIR");
    serve->add_option("--cache", a.cache, "What stays cached between prompts: classic, lru:N, ram:BYTES (K/M/G), none")
        ->type_name("MODE")
        ->capture_default_str();
    serve->add_option("--front-end-root", a.front_end_root, "Serve a built ComfyUI frontend from this folder at /")->type_name("DIR");
    serve->add_option("--database", a.database, "Queue and history database (default USER_DIR/weft/queue.db)")->type_name("FILE");
    serve->add_option("--max-upload-size", a.max_upload_mb, "Largest request body in MB")->capture_default_str();
    serve->add_option("--threads", a.threads, "Compute threads (0 = one per core)")->capture_default_str();
    serve->add_option("--precision", a.precision,
                      "Arithmetic of the networks: fp32 (matches ComfyUI) or bf16 (half the weight memory, about 1.5x faster on "
                    "CPUs with AVX512-BF16; fp32 where the CPU has none)")
        ->check(CLI::IsMember({"fp32", "bf16"}))
        ->capture_default_str();
    serve->add_option("--preview-method", a.preview_method,
                      "Sampler previews sent to WebSocket clients: none, latent2rgb, auto (= latent2rgb)")
        ->check(CLI::IsMember({"none", "latent2rgb", "auto"}))
        ->capture_default_str();
}

int serve_command(ServeArgs& a) {
    server::ServerConfig config;
    config.listen = a.listen;
    config.port = static_cast<uint16_t>(a.port);
    config.folders = a.folders.folders();
    if (!a.user_dir.empty()) config.folders.user = a.user_dir;
    config.threads = a.threads;
    config.precision = parse_precision(a.precision);
    config.front_end_root = a.front_end_root;
    config.database = a.database;
    config.preview_method = server::parse_preview_method(a.preview_method).value_or(server::PreviewMethod::Latent2Rgb);
    if (a.max_upload_mb <= 0) throw CliError(kExitInvalid, "--max-upload-size must be positive");
    config.max_body_bytes = static_cast<size_t>(a.max_upload_mb * 1024 * 1024);
    try {
        config.cache = CacheOptions::parse(a.cache);
    } catch (const std::exception& e) {
        throw CliError(kExitInvalid, fmt::format("--cache {}: {}", a.cache, e.what()));
    }

    // SIGINT/SIGTERM are blocked in every thread (the server's threads inherit the mask) and
    // taken here with sigwait, so shutdown runs in ordinary code, not in a signal handler.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    server::Server srv(config);
    srv.start();
    std::fprintf(stderr, "weft serve: listening on http://%s:%u (WebSocket /ws); Ctrl-C stops\n",
                 config.listen.find(':') != std::string::npos ? fmt::format("[{}]", config.listen).c_str() : config.listen.c_str(),
                 unsigned(srv.port()));
    std::fflush(stderr);
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "weft serve: stopping\n");
    srv.stop();
    return kExitOk;
}

}  // namespace weft::cli
