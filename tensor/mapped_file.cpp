// tensor/mapped_file.cpp — POSIX mmap wrapper behind MappedFile.
#include "tensor/mapped_file.h"

#include <weft/error.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace weft {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw Error(ErrorCode::ModelLoadFailed, what + ": " + std::strerror(errno)).at_path(path);
}

// Closes the descriptor on every path out of open(); the mapping outlives it.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

std::shared_ptr<MappedFile> MappedFile::open(const std::string& path) {
    Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (fd.fd < 0) fail(path, "cannot open file");
    struct stat st {};
    if (::fstat(fd.fd, &st) != 0) fail(path, "cannot stat file");
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        fail(path, "not a regular file");
    }
    std::shared_ptr<MappedFile> m(new MappedFile());
    m->path_ = path;
    m->size_ = static_cast<size_t>(st.st_size);
    if (m->size_ > 0) {
        void* p = ::mmap(nullptr, m->size_, PROT_READ, MAP_PRIVATE, fd.fd, 0);
        if (p == MAP_FAILED) fail(path, "cannot map file");
        m->data_ = static_cast<std::byte*>(p);
        m->mapped_ = true;
    }
    return m;
}

std::shared_ptr<MappedFile> MappedFile::from_bytes(std::vector<std::byte> bytes, std::string name) {
    std::shared_ptr<MappedFile> m(new MappedFile());
    m->owned_ = std::move(bytes);
    m->data_ = m->owned_.data();
    m->size_ = m->owned_.size();
    m->path_ = std::move(name);
    return m;
}

MappedFile::~MappedFile() {
    if (mapped_) ::munmap(data_, size_);
}

std::shared_ptr<Storage> MappedFile::storage() {
    std::lock_guard lock(mutex_);
    if (auto s = storage_.lock()) return s;
    auto self = shared_from_this();
    auto s = std::make_shared<Storage>(data_, size_, [self]() mutable { self.reset(); });
    storage_ = s;
    return s;
}

void MappedFile::prefetch(size_t offset, size_t length) const {
    if (!mapped_ || offset >= size_) return;
    length = std::min(length, size_ - offset);
    // madvise needs a page-aligned start.
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t start = offset / page * page;
    ::madvise(data_ + start, length + (offset - start), MADV_WILLNEED);
}

void MappedFile::release(size_t offset, size_t length) const {
    if (!mapped_ || offset >= size_) return;
    length = std::min(length, size_ - offset);
    // Only whole pages: the neighbours' bytes may still be wanted (re-reading them would be correct,
    // just slower).
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t start = (offset + page - 1) / page * page, end = (offset + length) / page * page;
    if (end > start) ::madvise(data_ + start, end - start, MADV_DONTNEED);
}

}  // namespace weft
