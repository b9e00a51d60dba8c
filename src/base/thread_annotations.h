// Clang's thread-safety analysis (-Wthread-safety, an error in the clang build): a member
// marked GUARDED_BY(mu_) may only be read or written while `mu_` is held, and the compiler
// checks it. The analysis needs lock types it understands, so guarded state uses Mutex and
// MutexLock below instead of std::mutex and std::lock_guard. GCC ignores the annotations.
//
//   mutable Mutex mu_;
//   int count_ GUARDED_BY(mu_) = 0;
//   void add() { MutexLock lock(mu_); ++count_; }
#pragma once

#include <mutex>

#if defined(__clang__)
#define ROADSIDE_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ROADSIDE_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) ROADSIDE_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY ROADSIDE_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) ROADSIDE_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) ROADSIDE_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) ROADSIDE_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ACQUIRE(...) ROADSIDE_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) ROADSIDE_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define EXCLUDES(...) ROADSIDE_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))

namespace roadside {

// std::mutex, as a capability the analysis knows. BasicLockable, so
// std::condition_variable_any can wait on it.
class CAPABILITY("mutex") Mutex {
 public:
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }

 private:
  std::mutex mu_;
};

// Holds a Mutex for its scope (std::lock_guard for Mutex).
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace roadside
