// server/server_state.h — what the routes and sessions of one server share.
#pragma once

#include "client_registry.h"
#include "job_store.h"
#include "prompt_worker.h"
#include "router.h"
#include <weft/server.h>

namespace weft::server {

struct ServerState {
    const ServerConfig& config;
    JobStore& store;
    ClientRegistry& clients;
    PromptWorker& worker;
    Router router;
};

/// Route groups, each in its own file.
void add_prompt_routes(ServerState& s);   // POST/GET /prompt
void add_queue_routes(ServerState& s);    // /queue, /interrupt, /free
void add_history_routes(ServerState& s);  // /history
void add_view_routes(ServerState& s);     // /view, front end
void add_upload_routes(ServerState& s);   // /upload/image, /upload/mask
void add_info_routes(ServerState& s);     // /object_info, /system_stats, /embeddings, /models, /features
void add_jobs_routes(ServerState& s);     // /api/jobs

}  // namespace weft::server
