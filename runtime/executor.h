// runtime/executor.h — runs one validated workflow: plans what is not cached, schedules ready
// nodes on the session's oneTBB arena, handles lazy inputs, list mapping, expansion, blockers,
// failures and cancellation, and reports events.
//
// One scheduler thread (the caller of run()) owns every per-run node state; node bodies run on
// arena workers (or inline on the scheduler thread when nothing else could run) and hand their
// results back through a completion queue. So node state needs no locks, and a node's events are
// always ordered executing -> progress... -> executed.
#pragma once

#include "runtime/cancel_token.h"
#include "runtime/prepared_run.h"
#include "runtime/session_state.h"

#include <weft/session.h>

namespace weft::runtime {

/// Executes a prepared (validated, constants coerced) workflow for validation's good outputs.
/// Fills the preparation's keys on its first run when they can be reused.
RunResult execute_workflow(SessionState& session, std::shared_ptr<PreparedRun> prepared, const RunOptions& options,
                           const std::string& prompt_id, const EventCallback& on_event, CancelToken& cancel);

}  // namespace weft::runtime
