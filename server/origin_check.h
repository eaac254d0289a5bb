// server/origin_check.h — refusing cross-site requests to a loopback server.
//
// A page on any website can send simple POSTs (and open WebSockets) to 127.0.0.1 from the user's
// browser. As ComfyUI does, when the Host is a loopback name and the request carries an Origin
// naming another host, the request is refused (403). Scripts and SDKs send no Origin and pass.
#pragma once

#include "beast.h"

namespace weft::server {

/// False when `req` comes from a browser page of another origin to a loopback Host.
bool origin_allowed(const Request& req);

}  // namespace weft::server
