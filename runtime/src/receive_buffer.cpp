/// @file
/// ReceiveBuffer.  Tests: tests/runtime/line_receiver_test.cpp,
/// tests/runtime/basic_protocols_property_test.cpp
#include "tw/detail/receive_buffer.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace tw::detail {

std::size_t findDelimiter(std::string_view window, std::string_view delimiter, std::size_t from,
                          std::size_t limit) noexcept {
  const std::size_t end = std::min(window.size(), limit);
  const std::size_t dlen = delimiter.size();
  if (from >= end || end - from < dlen) return std::string_view::npos;
  const char* base = window.data();
  if (dlen == 1) {
    const void* hit = std::memchr(base + from, delimiter[0], end - from);
    return hit == nullptr ? std::string_view::npos
                          : static_cast<std::size_t>(static_cast<const char*>(hit) - base);
  }
  if (dlen == 2) {
    const char first = delimiter[0];
    const char second = delimiter[1];
    const std::size_t lastStart = end - 1;  // a match starts before it
    std::size_t pos = from;
    while (pos < lastStart) {
      const void* hit = std::memchr(base + pos, first, lastStart - pos);
      if (hit == nullptr) return std::string_view::npos;
      pos = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
      if (base[pos + 1] == second) return pos;
      ++pos;
    }
    return std::string_view::npos;
  }
  return window.substr(0, end).find(delimiter, from);
}

void ReceiveBuffer::absorbSlow() {
  if (win_.empty()) {
    // The old storage holds nothing we need: take the queue's storage as is.
    buf_.swap(more_);
  } else if (winInBuf_) {
    buf_.erase(0, static_cast<std::size_t>(win_.data() - buf_.data()));
    buf_.append(more_);
  } else {
    buf_.assign(win_);
    buf_.append(more_);
  }
  more_.clear();
  win_ = buf_;
  winInBuf_ = true;
}

void ReceiveBuffer::endSlow() noexcept {
  if (winInBuf_) {
    buf_.erase(0, static_cast<std::size_t>(win_.data() - buf_.data()));
  } else {
    buf_.assign(win_);
  }
  if (!more_.empty()) {
    if (buf_.empty()) {
      buf_.swap(more_);
    } else {
      buf_.append(more_);
    }
    more_.clear();
  }
  win_ = {};
  winInBuf_ = false;
}

std::string ReceiveBuffer::contents() const {
  std::string out(window());
  if (busy_) out.append(more_);
  return out;
}

std::string ReceiveBuffer::take() {
  std::string out;
  if (!busy_) {
    out.swap(buf_);
    return out;
  }
  out.reserve(win_.size() + more_.size());
  out.append(win_);
  out.append(more_);
  // Leave the storage alone: a callback may hold a view into it.
  win_ = {};
  winInBuf_ = false;
  more_.clear();
  return out;
}

void ReceiveBuffer::replace(std::string_view data) {
  if (!busy_) {
    buf_.assign(data);
    return;
  }
  win_ = {};
  winInBuf_ = false;
  more_.assign(data);
}

}  // namespace tw::detail
