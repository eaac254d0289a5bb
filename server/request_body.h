// server/request_body.h — reading a request's JSON body, with ComfyUI-shaped errors.
#pragma once

#include "beast.h"

#include <nlohmann/json.hpp>

namespace weft::server {

/// The body as a JSON object; throws HttpError 400 (invalid_json) when it is not JSON or not an
/// object. An empty body reads as {} when `empty_ok`.
nlohmann::json json_body(const Request& req, bool empty_ok = false);

}  // namespace weft::server
