// cpu_allocator: a caching, huge-page CPU allocator for libtorch's large tensors.
//
// Why: on Linux every fresh page a tensor touches costs a page fault that zeroes it (several µs on a VM). glibc serves
// large tensors (the logits of a forward pass, activations, gradients) with fresh mmaps and gives them back on free,
// so a forward pass repeats tens of thousands of faults every time. This allocator serves every allocation of at least
// kLargeBytes from 2 MiB-aligned anonymous mappings advised as transparent huge pages (512× fewer faults; sizes are
// rounded to 64 KiB, so the tail past the last whole huge page uses small pages) and keeps freed blocks in a bounded
// cache, keyed by size, for the next allocation of that size (no fault, no zeroing); the least recently freed blocks
// are unmapped first when the cache is full, and the whole cache when a mapping fails. Smaller allocations go to
// libtorch's default allocator unchanged.
//
// It is installed when the library loads, for the whole process (libtorch has one CPU allocator per process).
// Environment, read once at load (set it before the process starts): DSTORCH_CPU_ALLOCATOR=system keeps libtorch's
// default allocator; DSTORCH_CPU_CACHE_MB sets the cache bound (default: 1/8 of physical memory, at most 2048 MiB).
#include "dstorch.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <c10/util/Exception.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kLargeBytes = size_t{1} << 20;
constexpr size_t kSizeGranule = size_t{64} << 10;

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(size_t cache_limit) : cache_limit_(cache_limit) {}

  // libtorch < 2.3 declares allocate() const, later versions non-const: define both, whichever matches overrides.
  c10::DataPtr allocate(size_t n) const { return allocate_impl(n); }
  c10::DataPtr allocate(size_t n) { return allocate_impl(n); }

  c10::DeleterFnPtr raw_deleter() const override { return &delete_any; }

  // libtorch ≥ 2.3 asks allocators to copy their own memory; a plain memcpy is right for host memory.
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }

  void stats(dst_cpu_allocator_stats* out) const {
    std::lock_guard<std::mutex> lock(mutex_);
    *out = stats_;
    out->cache_limit_bytes = static_cast<int64_t>(cache_limit_);
  }

  void empty_cache() const {
    std::lock_guard<std::mutex> lock(mutex_);
    while (!free_order_.empty()) evict_oldest();
  }

 private:
  c10::DataPtr allocate_impl(size_t n) const {
    if (n < kLargeBytes) {
      void* data = c10::alloc_cpu(n);
      return {data, data, &c10::free_cpu, c10::Device(c10::DeviceType::CPU)};
    }
    TORCH_CHECK(n <= SIZE_MAX / 2, "CPU allocator: cannot allocate ", n, " bytes");
    void* data = take_block(round_up(n, kSizeGranule));
    return {data, data, &delete_any, c10::Device(c10::DeviceType::CPU)};
  }

  // Frees a pointer from either path: a large block goes back to the cache, anything else to libtorch's allocator.
  static void delete_any(void* data);

  void* take_block(size_t size) const {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_blocks_.find(size);
      if (it != free_blocks_.end() && !it->second.empty()) {
        auto position = it->second.back();
        it->second.pop_back();
        if (it->second.empty()) free_blocks_.erase(it);
        void* block = position->first;
        free_order_.erase(position);
        stats_.cached_bytes -= static_cast<int64_t>(size);
        stats_.cache_hits++;
        live_blocks_[block] = size;
        return block;
      }
      stats_.cache_misses++;
    }
    void* block = map_block(size);
    if (block == nullptr) {
      empty_cache();  // cached blocks of other sizes may be what stands in the way
      block = map_block(size);
    }
    TORCH_CHECK(block != nullptr, "CPU allocator: out of memory (could not map ", size, " bytes)");
    std::lock_guard<std::mutex> lock(mutex_);
    live_blocks_[block] = size;
    stats_.mapped_bytes += static_cast<int64_t>(size);
    return block;
  }

  // Unmaps the least recently freed cached block (mutex held).
  void evict_oldest() const {
    auto [block, size] = free_order_.front();
    auto it = free_blocks_.find(size);
    it->second.erase(std::find(it->second.begin(), it->second.end(), free_order_.begin()));
    if (it->second.empty()) free_blocks_.erase(it);
    free_order_.pop_front();
    ::munmap(block, size);
    stats_.cached_bytes -= static_cast<int64_t>(size);
    stats_.mapped_bytes -= static_cast<int64_t>(size);
  }

  // Returns true when the pointer was one of ours.
  bool give_back(void* data) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = live_blocks_.find(data);
    if (it == live_blocks_.end()) return false;
    const size_t size = it->second;
    live_blocks_.erase(it);
    if (size > cache_limit_) {
      ::munmap(data, size);
      stats_.mapped_bytes -= static_cast<int64_t>(size);
      return true;
    }
    // Make room by unmapping the least recently freed blocks, then keep this one.
    while (static_cast<size_t>(stats_.cached_bytes) + size > cache_limit_) evict_oldest();
    free_order_.emplace_back(data, size);
    free_blocks_[size].push_back(std::prev(free_order_.end()));
    stats_.cached_bytes += static_cast<int64_t>(size);
    return true;
  }

  // A 2 MiB-aligned anonymous mapping of `size` bytes (a multiple of 64 KiB), advised as transparent huge pages;
  // null when the system has no memory for it.
  static void* map_block(size_t size) {
    const size_t padded = size + kHugePage;
    void* raw = ::mmap(nullptr, padded, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return nullptr;
    const auto start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = round_up(start, kHugePage);
    if (aligned > start) ::munmap(raw, aligned - start);
    const uintptr_t tail = aligned + size;
    const uintptr_t end = start + padded;
    if (end > tail) ::munmap(reinterpret_cast<void*>(tail), end - tail);
    void* block = reinterpret_cast<void*>(aligned);
    ::madvise(block, size, MADV_HUGEPAGE);  // advice only: without THP the block still works with 4 KiB pages
    return block;
  }

  const size_t cache_limit_;
  mutable std::mutex mutex_;
  // Cached blocks in the order they were freed (oldest first), and by size (each size's blocks as positions in that list).
  mutable std::list<std::pair<void*, size_t>> free_order_;
  mutable std::map<size_t, std::vector<std::list<std::pair<void*, size_t>>::iterator>> free_blocks_;
  mutable std::unordered_map<void*, size_t> live_blocks_;
  mutable dst_cpu_allocator_stats stats_{};
};

CachingCpuAllocator* installed = nullptr;

void CachingCpuAllocator::delete_any(void* data) {
  if (data == nullptr) return;
  if (installed != nullptr && installed->give_back(data)) return;
  c10::free_cpu(data);
}

size_t default_cache_limit() {
  if (const char* mb = std::getenv("DSTORCH_CPU_CACHE_MB")) {
    char* end = nullptr;
    const unsigned long long value = std::strtoull(mb, &end, 10);
    if (end != mb && *end == '\0') return static_cast<size_t>(std::min<unsigned long long>(value, 1ULL << 40)) << 20;
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  size_t limit = size_t{2048} << 20;
  if (pages > 0 && page_size > 0) limit = std::min(limit, static_cast<size_t>(pages) * page_size / 8);
  return limit;
}

// Installed at load, before any tensor of the managed side exists. The allocator is never destroyed: tensors may
// outlive every static object of the process.
struct Installer {
  Installer() {
    const char* mode = std::getenv("DSTORCH_CPU_ALLOCATOR");
    if (mode != nullptr && std::string(mode) == "system") return;
    installed = new CachingCpuAllocator(default_cache_limit());
    c10::SetCPUAllocator(installed, /*priority=*/1);
  }
} installer;

}  // namespace

extern "C" {

int32_t dst_cpu_allocator_get_stats(dst_cpu_allocator_stats* out) {
  if (installed == nullptr) {
    std::memset(out, 0, sizeof(*out));
    return 0;
  }
  installed->stats(out);
  out->enabled = 1;
  return 0;
}

void dst_cpu_allocator_empty_cache(void) {
  if (installed != nullptr) installed->empty_cache();
}

}  // extern "C"
