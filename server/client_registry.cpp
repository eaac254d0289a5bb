#include "client_registry.h"

#include <vector>

namespace weft::server {

void ClientRegistry::add(const std::string& sid, std::weak_ptr<WsClient> client) {
    std::lock_guard lock(mutex_);
    clients_[sid] = std::move(client);
}

void ClientRegistry::remove(const std::string& sid, const WsClient* client) {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(sid);
    if (it == clients_.end()) return;
    auto current = it->second.lock();
    if (!current || current.get() == client) clients_.erase(it);
}

size_t ClientRegistry::size() const {
    std::lock_guard lock(mutex_);
    return clients_.size();
}

bool ClientRegistry::connected(const std::string& sid) const {
    std::lock_guard lock(mutex_);
    auto it = clients_.find(sid);
    return it != clients_.end() && !it->second.expired();
}

bool ClientRegistry::send_to(const std::string& sid, std::shared_ptr<const std::string> frame, bool binary, bool droppable) {
    std::shared_ptr<WsClient> client;
    {
        std::lock_guard lock(mutex_);
        auto it = clients_.find(sid);
        if (it != clients_.end()) client = it->second.lock();
    }
    if (!client) return false;
    client->send(std::move(frame), binary, droppable);
    return true;
}

void ClientRegistry::broadcast(std::shared_ptr<const std::string> frame, bool binary, bool droppable) {
    std::vector<std::shared_ptr<WsClient>> all;
    {
        std::lock_guard lock(mutex_);
        for (auto& [sid, weak] : clients_)
            if (auto c = weak.lock()) all.push_back(std::move(c));
    }
    for (auto& c : all) c->send(frame, binary, droppable);
}

void ClientRegistry::send_or_broadcast(const std::string& sid, std::shared_ptr<const std::string> frame, bool binary, bool droppable) {
    if (sid.empty()) broadcast(std::move(frame), binary, droppable);
    else send_to(sid, std::move(frame), binary, droppable);
}

void ClientRegistry::send_preview(const std::string& sid, std::shared_ptr<const std::string> plain,
                                  std::shared_ptr<const std::string> with_metadata) {
    std::vector<std::shared_ptr<WsClient>> targets;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, weak] : clients_)
            if (sid.empty() || id == sid)
                if (auto c = weak.lock()) targets.push_back(std::move(c));
    }
    for (auto& c : targets) c->send(c->preview_metadata() ? with_metadata : plain, true, true);
}

}  // namespace weft::server
