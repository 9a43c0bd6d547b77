/// @file
/// The three waiting strategies behind PosixReactorBase: epoll, poll and select.
/// Tests: tests/integration/reactor_test.cpp (every test runs on each)
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "tw/posix_reactor.hpp"

namespace tw::detail {

namespace {

/// Seconds to poll(2)/epoll_wait(2) milliseconds, rounded up so that a timer is never polled
/// for early and then spun on; negative stays -1 (no limit).
int toMilliseconds(double timeout) {
  if (timeout < 0) return -1;
  const double ms = std::ceil(timeout * 1000.0);
  return ms > 2.0e9 ? 2000000000 : static_cast<int>(ms);
}

[[noreturn]] void throwErrno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

class EpollBackend final : public PollBackend {
 public:
  EpollBackend() : epfd_(::epoll_create1(EPOLL_CLOEXEC)), events_(1024) {
    if (epfd_ < 0) throwErrno("epoll_create1");
  }
  ~EpollBackend() override { ::close(epfd_); }
  std::string_view name() const noexcept override { return "epoll"; }

  void update(int fd, bool read, bool write, bool wasRead, bool wasWrite) override {
    epoll_event ev{};
    ev.events = (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
    ev.data.fd = fd;
    int op = EPOLL_CTL_MOD;
    if (!wasRead && !wasWrite) op = EPOLL_CTL_ADD;
    if (!read && !write) op = EPOLL_CTL_DEL;
    if (::epoll_ctl(epfd_, op, fd, &ev) < 0) {
      // A descriptor closed before its removal is already gone from the set.
      if (op == EPOLL_CTL_DEL && (errno == EBADF || errno == ENOENT)) return;
      if (op == EPOLL_CTL_MOD && errno == ENOENT) {
        if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) == 0) return;
      }
      throwErrno("epoll_ctl");
    }
  }

  void wait(double timeout, std::vector<ReadyEvent>& out) override {
    const int n = ::epoll_wait(epfd_, events_.data(), static_cast<int>(events_.size()),
                               toMilliseconds(timeout));
    if (n < 0) {
      if (errno == EINTR) return;
      throwErrno("epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
      const std::uint32_t e = events_[i].events;
      out.push_back(ReadyEvent{events_[i].data.fd, (e & (EPOLLIN | EPOLLPRI)) != 0,
                               (e & EPOLLOUT) != 0, (e & (EPOLLHUP | EPOLLERR)) != 0});
    }
  }

 private:
  int epfd_;
  std::vector<epoll_event> events_;
};

class PollBackendImpl final : public PollBackend {
 public:
  std::string_view name() const noexcept override { return "poll"; }

  void update(int fd, bool read, bool write, bool /*wasRead*/, bool /*wasWrite*/) override {
    if (static_cast<std::size_t>(fd) >= index_.size()) index_.resize(fd + 1, -1);
    const short events = static_cast<short>((read ? POLLIN : 0) | (write ? POLLOUT : 0));
    int& i = index_[fd];
    if (events == 0) {
      if (i < 0) return;
      // Swap with the last entry.
      const int last = static_cast<int>(fds_.size()) - 1;
      if (i != last) {
        fds_[i] = fds_[last];
        index_[fds_[i].fd] = i;
      }
      fds_.pop_back();
      index_[fd] = -1;
      return;
    }
    if (i < 0) {
      i = static_cast<int>(fds_.size());
      fds_.push_back(pollfd{fd, events, 0});
    } else {
      fds_[i].events = events;
    }
  }

  void wait(double timeout, std::vector<ReadyEvent>& out) override {
    const int n = ::poll(fds_.data(), fds_.size(), toMilliseconds(timeout));
    if (n < 0) {
      if (errno == EINTR) return;
      throwErrno("poll");
    }
    if (n == 0) return;
    for (const pollfd& p : fds_) {
      if (p.revents == 0) continue;
      out.push_back(ReadyEvent{p.fd, (p.revents & (POLLIN | POLLPRI)) != 0,
                               (p.revents & POLLOUT) != 0,
                               (p.revents & (POLLHUP | POLLERR | POLLNVAL)) != 0});
    }
  }

 private:
  std::vector<pollfd> fds_;
  std::vector<int> index_;  // fd -> position in fds_, or -1
};

class SelectBackend final : public PollBackend {
 public:
  SelectBackend() {
    FD_ZERO(&reads_);
    FD_ZERO(&writes_);
  }
  std::string_view name() const noexcept override { return "select"; }

  void update(int fd, bool read, bool write, bool /*wasRead*/, bool /*wasWrite*/) override {
    if (fd >= FD_SETSIZE) {
      throw std::invalid_argument("SelectReactor: descriptor " + std::to_string(fd) +
                                  " is not below FD_SETSIZE");
    }
    if (read) {
      FD_SET(fd, &reads_);
    } else {
      FD_CLR(fd, &reads_);
    }
    if (write) {
      FD_SET(fd, &writes_);
    } else {
      FD_CLR(fd, &writes_);
    }
    if (read || write) {
      if (fd + 1 > maxFd_) maxFd_ = fd + 1;
    } else if (fd + 1 == maxFd_) {
      while (maxFd_ > 0 && !FD_ISSET(maxFd_ - 1, &reads_) && !FD_ISSET(maxFd_ - 1, &writes_)) {
        --maxFd_;
      }
    }
  }

  void wait(double timeout, std::vector<ReadyEvent>& out) override {
    fd_set r = reads_;
    fd_set w = writes_;
    timeval tv{};
    timeval* ptv = nullptr;
    if (timeout >= 0) {
      const double us = std::ceil(timeout * 1e6);
      tv.tv_sec = static_cast<time_t>(us / 1e6);
      tv.tv_usec = static_cast<suseconds_t>(us - static_cast<double>(tv.tv_sec) * 1e6);
      ptv = &tv;
    }
    const int n = ::select(maxFd_, &r, &w, nullptr, ptv);
    if (n < 0) {
      if (errno == EINTR) return;
      if (errno == EBADF) {
        // A watched descriptor was closed before its removal: report each bad one as hung up,
        // so that the reactor drops it (Twisted: _preenDescriptors).
        for (int fd = 0; fd < maxFd_; ++fd) {
          if ((FD_ISSET(fd, &reads_) || FD_ISSET(fd, &writes_)) && ::fcntl(fd, F_GETFD) < 0) {
            out.push_back(ReadyEvent{fd, false, false, true});
          }
        }
        return;
      }
      throwErrno("select");
    }
    for (int fd = 0; fd < maxFd_ && n > 0; ++fd) {
      const bool rr = FD_ISSET(fd, &r);
      const bool ww = FD_ISSET(fd, &w);
      if (rr || ww) out.push_back(ReadyEvent{fd, rr, ww, false});
    }
  }

 private:
  fd_set reads_;
  fd_set writes_;
  int maxFd_ = 0;
};

}  // namespace

std::unique_ptr<PollBackend> makeEpollBackend() { return std::make_unique<EpollBackend>(); }
std::unique_ptr<PollBackend> makePollBackend() { return std::make_unique<PollBackendImpl>(); }
std::unique_ptr<PollBackend> makeSelectBackend() { return std::make_unique<SelectBackend>(); }

}  // namespace tw::detail
