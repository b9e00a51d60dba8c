// Compiled by check.sh with clang's -Wthread-safety: as it is, and with VIOLATE defined,
// which must not compile (a guarded member read without its lock).
#include "base/thread_annotations.h"

namespace {

class Counter {
 public:
  void add() {
    roadside::MutexLock lock(mu_);
    ++count_;
  }
  int read() {
#ifdef VIOLATE
    return count_;
#else
    roadside::MutexLock lock(mu_);
    return count_;
#endif
  }

 private:
  roadside::Mutex mu_;
  int count_ GUARDED_BY(mu_) = 0;
};

}  // namespace

int main() {
  Counter c;
  c.add();
  return c.read() == 1 ? 0 : 1;
}
