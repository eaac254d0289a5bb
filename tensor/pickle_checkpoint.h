// tensor/pickle_checkpoint.h — a restricted reader for PyTorch .ckpt / .pt / .pth / .bin files.
//
// These are zip archives (torch.save's format since 1.6): `<stem>/data.pkl` is a pickle whose
// tensors reference storages stored as `<stem>/data/<key>`. The pickle is interpreted by a small
// virtual machine that never imports or calls anything: it knows a fixed allow-list of globals
// (tensor/parameter rebuild functions, the torch storage types, collections.OrderedDict, a few
// builtins) and a few inert training leftovers seen in SD checkpoints (pytorch_lightning
// callbacks, numpy scalars), which become opaque placeholders. Any other global is refused with an
// error naming the file and the global, so a file can never run code.
//
// Tensors come back as views over the mapped archive (storage offset, size and stride honoured;
// tensors sharing a storage share bytes). The state dict is found as ComfyUI does: the top-level
// "state_dict" entry when present, else the only entry when it is a dict, else the top level.
// Nested dicts of tensors are flattened with "." joins; scalar top-level entries (global_step,
// epoch, ...) become metadata strings.
//
//   weft::PickleCheckpoint ck = weft::read_pickle_checkpoint("v1-5-pruned-emaonly.ckpt");
//
// Thread safety: plain values.
#pragma once

#include "tensor/mapped_file.h"

#include <weft/tensor.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace weft {

struct PickleCheckpoint {
    std::string path;
    std::vector<std::pair<std::string, Tensor>> tensors;  // in the order the pickle lists them
    std::map<std::string, std::string> metadata;
};

/// Throws weft::Error naming the file (and the tensor or global) on any problem.
PickleCheckpoint read_pickle_checkpoint(const std::string& path);
PickleCheckpoint read_pickle_checkpoint(std::shared_ptr<MappedFile> file);

}  // namespace weft
