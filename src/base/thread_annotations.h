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
#include <shared_mutex>

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
#define REQUIRES_SHARED(...) ROADSIDE_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) ROADSIDE_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) ROADSIDE_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define RELEASE_GENERIC(...) ROADSIDE_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))

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

// std::shared_mutex, as a capability: many readers or one writer.
class CAPABILITY("shared mutex") SharedMutex {
 public:
  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  void lock_shared() ACQUIRE_SHARED() { mu_.lock_shared(); }
  void unlock_shared() RELEASE_SHARED() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

// Holds a SharedMutex for its scope, as a writer.
class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~WriterLock() RELEASE() { mu_.unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex& mu_;
};

// Holds a SharedMutex for its scope, as one of its readers.
class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex& mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_.lock_shared(); }
  ~ReaderLock() RELEASE_GENERIC() { mu_.unlock_shared(); }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

 private:
  SharedMutex& mu_;
};

}  // namespace roadside
