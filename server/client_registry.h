// server/client_registry.h — the connected WebSocket clients by id, and ComfyUI's delivery rules.
//
// A prompt's events go to the socket whose client id queued it; `status` goes to everyone. When a
// prompt has no client id, only progress-like messages (progress, progress_state, previews,
// execution_interrupted) are sent, to everyone (as ComfyUI does).
//
// Thread safety: every method may be called from any thread; sends are queued on each socket's
// strand and never block.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace weft::server {

/// One connected socket, as the registry sees it.
class WsClient {
public:
    virtual ~WsClient() = default;
    /// Queues a frame; `droppable` frames (progress, previews) may be dropped for a slow client.
    virtual void send(std::shared_ptr<const std::string> frame, bool binary, bool droppable) = 0;
    /// True after the client negotiated `supports_preview_metadata` (binary event type 4).
    virtual bool preview_metadata() const = 0;
};

class ClientRegistry {
public:
    /// Registers `client` under `sid`, replacing an earlier socket of that id.
    void add(const std::string& sid, std::weak_ptr<WsClient> client);
    /// Unregisters `sid` if it still names `client`.
    void remove(const std::string& sid, const WsClient* client);
    size_t size() const;
    bool connected(const std::string& sid) const;

    /// Sends to the client `sid`; nothing when it is not connected. Returns whether it was sent.
    bool send_to(const std::string& sid, std::shared_ptr<const std::string> frame, bool binary = false, bool droppable = false);
    /// Sends to every client.
    void broadcast(std::shared_ptr<const std::string> frame, bool binary = false, bool droppable = false);
    /// To `sid` when not empty, else to everyone (progress-like messages).
    void send_or_broadcast(const std::string& sid, std::shared_ptr<const std::string> frame, bool binary = false, bool droppable = false);
    /// A preview image, to `sid` when not empty, else to everyone, as droppable binary frames:
    /// `with_metadata` (type 4) to clients that negotiated supports_preview_metadata, `plain`
    /// (type 1) to the others.
    void send_preview(const std::string& sid, std::shared_ptr<const std::string> plain, std::shared_ptr<const std::string> with_metadata);

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::weak_ptr<WsClient>> clients_;
};

}  // namespace weft::server
