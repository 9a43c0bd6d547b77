/// @file
/// ReceiveBuffer.  Tests: tests/runtime/line_receiver_test.cpp,
/// tests/runtime/basic_protocols_property_test.cpp
#include "tw/detail/receive_buffer.hpp"

#include <utility>

namespace tw::detail {

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
