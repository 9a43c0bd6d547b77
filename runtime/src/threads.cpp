/// @file
/// ReactorThreads.  Twisted: twisted.internet.base.ReactorBase (the thread pool part).
#include "tw/threads.hpp"

#include <stdexcept>

namespace tw {

ReactorThreads::~ReactorThreads() {
  if (!pool_) return;
  // The reactor is still alive (a precondition); its triggers must not outlive this object.
  for (std::optional<TriggerId>* id : {&startupId_, &shutdownId_}) {
    if (!*id) continue;
    try {
      core_->removeSystemEventTrigger(**id);
    } catch (const std::invalid_argument&) {
      // Already fired and gone.
    }
  }
  try {
    pool_->stop();
  } catch (...) {
    Logger("tw.threads")
        .failure("could not stop the reactor's thread pool", Failure::fromCurrentException());
  }
}

void ReactorThreads::callFromThread(std::function<void()> f) {
  fromThreads_->callFromThread(std::move(f));
}

void ReactorThreads::doCallInThread(std::function<void()> f, const std::source_location& where) {
  getThreadPool().callInThread(std::move(f), where);
}

void ReactorThreads::suggestThreadPoolSize(std::size_t size) {
  getThreadPool().adjustPoolsize(std::nullopt, size);
}

ThreadPool& ReactorThreads::getThreadPool() {
  if (!pool_) {
    pool_ = std::make_unique<ThreadPool>(0, 10, "tw.reactor");
    shutdownId_ = core_->addSystemEventTrigger("during", "shutdown", [this] { stopThreadPool(); });
    startupId_ = core_->callWhenRunning([this] {
      startupId_.reset();
      if (!pool_->joined()) pool_->start();
    });
  }
  return *pool_;
}

void ReactorThreads::stopThreadPool() {
  shutdownId_.reset();
  if (startupId_) {
    try {
      core_->removeSystemEventTrigger(*startupId_);
    } catch (const std::invalid_argument&) {
      // Already fired and gone.
    }
    startupId_.reset();
  }
  pool_->stop();
}

}  // namespace tw
