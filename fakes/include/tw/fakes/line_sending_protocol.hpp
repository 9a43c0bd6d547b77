/// @file
/// LineSendingProtocol: a LineReceiver that sends a fixed list of lines and records the lines it
/// gets back, for testing servers.  Twisted: twisted.internet.testing.LineSendingProtocol.
/// Tests: tests/fakes/line_sending_protocol_test.cpp
#pragma once

#include <string>
#include <vector>

#include "tw/failure.hpp"
#include "tw/line_receiver.hpp"

namespace tw::fakes {

/// Sends `lines` when connected (or, with `start == false`, when the first line arrives), and
/// keeps every line received in `response()`.
class LineSendingProtocol : public LineReceiver {
 public:
  explicit LineSendingProtocol(std::vector<std::string> lines, bool start = true)
      : lines_(std::move(lines)), start_(start) {}

  void connectionMade() override {
    if (start_) {
      for (const auto& line : lines_) sendLine(line);
    }
  }

  void lineReceived(std::string_view line) override {
    if (!start_) {
      for (const auto& l : lines_) sendLine(l);
      lines_.clear();
    }
    response_.emplace_back(line);
  }

  void connectionLost(const Failure& reason) override {
    lostConn_ = true;
    LineReceiver::connectionLost(reason);
  }

  /// The lines received, in order.
  const std::vector<std::string>& response() const noexcept { return response_; }
  /// True once the connection was lost.
  bool lostConn() const noexcept { return lostConn_; }

 private:
  std::vector<std::string> lines_;
  std::vector<std::string> response_;
  bool start_;
  bool lostConn_ = false;
};

}  // namespace tw::fakes
