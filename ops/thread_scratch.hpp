#pragma once
// Internal (not installed): scratch memory that one thread of a parallel loop writes, on cache
// lines of its own.
//
// malloc packs small blocks side by side, so a thread's few-hundred-byte buffer can share a
// 64-byte line with another thread's buffer, or with the end of a result that another thread
// writes. Each write by one core then takes the line from the other (false sharing). In one
// measured case, max's reverse rule (run twice per step of the cnn benchmark) took 4 times as
// long on 2 threads as it did once its per-thread rows were padded apart. ThreadScratch rounds
// every block out to whole lines, aligned on a line.

#include <cstddef>
#include <new>
#include <vector>

namespace tg {

constexpr std::size_t kCacheLine = 64;

template <class T>
struct CacheLineAllocator {
    using value_type = T;
    CacheLineAllocator() = default;
    template <class U>
    CacheLineAllocator(const CacheLineAllocator<U>& /*other*/) {}  // NOLINT: implicit, as required

    T* allocate(std::size_t n) {
        return static_cast<T*>(::operator new (whole_lines(n), std::align_val_t{kCacheLine}));
    }
    void deallocate(T* p, std::size_t n) {
        ::operator delete (p, whole_lines(n), std::align_val_t{kCacheLine});
    }

  private:
    static std::size_t whole_lines(std::size_t n) {
        return (n * sizeof(T) + kCacheLine - 1) / kCacheLine * kCacheLine;
    }
};

template <class T, class U>
bool operator==(const CacheLineAllocator<T>& /*a*/, const CacheLineAllocator<U>& /*b*/) {
    return true;
}
template <class T, class U>
bool operator!=(const CacheLineAllocator<T>& /*a*/, const CacheLineAllocator<U>& /*b*/) {
    return false;
}

template <class T>
using ThreadScratch = std::vector<T, CacheLineAllocator<T>>;

}  // namespace tg
