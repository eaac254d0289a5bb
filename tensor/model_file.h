// tensor/model_file.h — one entry point for model weights: .safetensors or PyTorch pickle zips.
//
// The format is chosen by content, not by extension (a renamed .ckpt is common): a file whose
// first 8 bytes are a plausible safetensors header length followed by '{' is safetensors, a zip
// is a torch.save checkpoint. Tensors are read-only views over the mapped file — opening parses
// headers only; bytes are paged in when a tensor is used. clone() a tensor before writing to it.
//
//   weft::ModelFile m = weft::open_model_file("models/checkpoints/sd15.safetensors");
//   const weft::Tensor& w = m.at("model.diffusion_model.input_blocks.0.0.weight");
//
// Thread safety: a ModelFile is a plain value; its tensors may be read from several threads.
#pragma once

#include <weft/tensor.h>

#include <map>
#include <memory>
#include <string>

namespace weft {

class MappedFile;

struct ModelFile {
    std::string path;
    std::string format;                          // "safetensors" or "pytorch"
    std::map<std::string, std::string> metadata; // safetensors __metadata__, or checkpoint scalars
    std::map<std::string, Tensor> tensors;
    std::shared_ptr<const MappedFile> mapping;   // null for in-memory files

    bool contains(const std::string& name) const { return tensors.count(name) != 0; }
    /// Throws weft::Error naming the file and the tensor when absent.
    const Tensor& at(const std::string& name) const;
    /// Drops the resident pages behind `t` when it is a view of this file's mapping (see
    /// MappedFile::release): for loaders, once a tensor has been converted or copied.
    void release_pages(const Tensor& t) const;
};

/// Opens `path`; throws weft::Error (with the path) when it is missing, unrecognised or invalid.
/// Safetensors entries with a dtype weft cannot hold (U16, U32, U64, F4, ...) are skipped.
ModelFile open_model_file(const std::string& path);

}  // namespace weft
