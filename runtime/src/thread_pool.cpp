/// @file
/// ThreadPool. Twisted: twisted.python.threadpool, twisted._threads._team.
#include "tw/thread_pool.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include "tw/logger.hpp"

namespace tw {

namespace {

const Logger& poolLogger() {
  static const Logger logger("tw.threadpool");
  return logger;
}

}  // namespace

ThreadPool::ThreadPool(std::size_t minThreads, std::size_t maxThreads, std::string name)
    : name_(std::move(name)), min_(minThreads), max_(maxThreads) {
  if (minThreads > maxThreads) {
    throw std::invalid_argument("ThreadPool: minimum is greater than maximum");
  }
  if (name_.empty()) {
    std::ostringstream out;
    out << static_cast<const void*>(this);
    name_ = out.str();
  }
}

ThreadPool::~ThreadPool() {
  try {
    stop();
  } catch (...) {
    // stop() from a pool thread: nothing sensible left to do but report it.
    poolLogger().failure("ThreadPool " + name_ + " destroyed from its own thread",
                         Failure::fromCurrentException());
  }
}

void ThreadPool::start() {
  std::lock_guard lock(mutex_);
  if (joined_) throw std::logic_error("ThreadPool::start: the pool was stopped");
  if (started_) return;
  started_ = true;
  while (live_ < min_) spawnLocked();
  // Threads for the work queued before start(), within the maximum.
  std::size_t backlog = queue_.size();
  while (backlog > 0 && live_ < max_) {
    spawnLocked();
    --backlog;
  }
}

void ThreadPool::stop() {
  std::vector<std::thread> threads;
  std::deque<Job> dropped;
  {
    std::lock_guard lock(mutex_);
    if (isPoolThreadLocked()) {
      throw std::logic_error("ThreadPool::stop: called from one of the pool's threads");
    }
    if (joined_) return;
    joined_ = true;
    started_ = false;
    if (live_ == 0) std::swap(dropped, queue_);
    threads.swap(threads_);
  }
  wake_.notify_all();
  for (std::thread& t : threads) t.join();
  // Workers quit only when the queue is empty or when shrinking took them all; drop the rest
  // outside the lock (a job's destructor may do anything, even call back into the pool).
  {
    std::lock_guard lock(mutex_);
    for (auto& job : queue_) dropped.push_back(std::move(job));
    queue_.clear();
  }
  dropped.clear();
}

void ThreadPool::callInThread(std::function<void()> f, std::source_location where) {
  std::lock_guard lock(mutex_);
  if (joined_) return;
  queue_.push_back(Job{std::move(f), where});
  if (!started_) return;
  // Every queued job beyond the idle threads (less those about to quit) needs a thread of its
  // own, within the maximum.
  if (queue_.size() + toShrink_ > idle_ && live_ < max_) {
    spawnLocked();
  } else {
    wake_.notify_one();
  }
}

void ThreadPool::adjustPoolsize(std::optional<std::size_t> minThreads,
                                std::optional<std::size_t> maxThreads) {
  std::lock_guard lock(mutex_);
  std::size_t newMin = minThreads.value_or(min_);
  std::size_t newMax = maxThreads.value_or(max_);
  if (newMin > newMax) {
    throw std::invalid_argument("ThreadPool::adjustPoolsize: minimum is greater than maximum");
  }
  min_ = newMin;
  max_ = newMax;
  if (!started_) return;
  if (live_ > max_) {
    toShrink_ += live_ - max_;
    live_ = max_;
    wake_.notify_all();
  }
  while (live_ < min_) spawnLocked();
}

void ThreadPool::startAWorker() {
  std::lock_guard lock(mutex_);
  if (!started_ || live_ >= max_) return;
  spawnLocked();
}

void ThreadPool::stopAWorker() {
  std::lock_guard lock(mutex_);
  if (live_ == 0) return;
  ++toShrink_;
  --live_;
  wake_.notify_all();
}

std::size_t ThreadPool::workers() const {
  std::lock_guard lock(mutex_);
  return live_;
}

std::size_t ThreadPool::working() const {
  std::lock_guard lock(mutex_);
  return busy_;
}

std::size_t ThreadPool::waiters() const {
  std::lock_guard lock(mutex_);
  return idle_;
}

std::size_t ThreadPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::vector<ThreadPool::JobInfo> ThreadPool::jobs() const {
  std::lock_guard lock(mutex_);
  std::vector<JobInfo> out;
  out.reserve(running_.size() + queue_.size());
  for (const auto& where : running_) out.push_back(JobInfo{where, true});
  for (const auto& job : queue_) out.push_back(JobInfo{job.where, false});
  return out;
}

bool ThreadPool::started() const {
  std::lock_guard lock(mutex_);
  return started_;
}

bool ThreadPool::joined() const {
  std::lock_guard lock(mutex_);
  return joined_;
}

std::size_t ThreadPool::min() const {
  std::lock_guard lock(mutex_);
  return min_;
}

std::size_t ThreadPool::max() const {
  std::lock_guard lock(mutex_);
  return max_;
}

void ThreadPool::spawnLocked() {
  // The new thread waits for mutex_ (held here) before it reads anything.
  threads_.emplace_back([this] { workerLoop(); });
  ++live_;
}

bool ThreadPool::isPoolThreadLocked() const {
  auto self = std::this_thread::get_id();
  return std::any_of(threads_.begin(), threads_.end(),
                     [self](const std::thread& t) { return t.get_id() == self; });
}

void ThreadPool::workerLoop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (toShrink_ > 0) {
      --toShrink_;  // live_ was lowered when the shrink was asked for
      return;
    }
    if (!queue_.empty()) {
      std::function<void()> job = std::move(queue_.front().f);
      const auto site = running_.insert(running_.end(), queue_.front().where);
      queue_.pop_front();
      ++busy_;
      lock.unlock();
      try {
        job();
      } catch (...) {
        poolLogger().failure("Unhandled error in a job of ThreadPool " + name_,
                             Failure::fromCurrentException());
      }
      // Off the list of jobs first: destroying the job may hand its result to another thread
      // (deferToThreadPool does), which may then ask jobs() and must not see it.
      lock.lock();
      running_.erase(site);
      lock.unlock();
      job = nullptr;  // its captures die on this thread, before the next job
      lock.lock();
      --busy_;
      continue;
    }
    if (joined_) {
      --live_;
      return;
    }
    ++idle_;
    wake_.wait(lock);
    --idle_;
  }
}

}  // namespace tw
