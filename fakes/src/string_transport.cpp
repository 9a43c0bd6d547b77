/// @file
/// StringTransport.  Tests: tests/fakes/string_transport_test.cpp
#include "tw/fakes/string_transport.hpp"

#include <memory>
#include <stdexcept>

#include "tw/address.hpp"
#include "tw/error.hpp"

namespace tw::fakes {

std::string_view toString(ProducerState state) noexcept {
  switch (state) {
    case ProducerState::producing:
      return "producing";
    case ProducerState::paused:
      return "paused";
    case ProducerState::stopped:
      return "stopped";
  }
  return "unknown";
}

StringTransport::StringTransport(AddressPtr hostAddress, AddressPtr peerAddress, bool lenient)
    : hostAddress_(hostAddress ? std::move(hostAddress)
                               : std::make_shared<IPv4Address>("TCP", "10.0.0.1", 12345)),
      peerAddress_(peerAddress ? std::move(peerAddress)
                               : std::make_shared<IPv4Address>("TCP", "192.168.1.1", 54321)),
      lenient_(lenient) {}

void StringTransport::write(std::string_view data) { io_.append(data); }

void StringTransport::writeSequence(std::span<const std::string_view> data) {
  std::size_t total = 0;
  for (std::string_view piece : data) total += piece.size();
  io_.reserve(io_.size() + total);
  for (std::string_view piece : data) io_.append(piece);
}

void StringTransport::loseConnection() { disconnecting_ = true; }

void StringTransport::loseWriteConnection() { writeDisconnected_ = true; }

void StringTransport::abortConnection() {
  disconnected_ = true;
  StringTransport::loseConnection();
}

void StringTransport::registerProducer(IProducer& producer, bool streaming) {
  if (producer_ != nullptr) throw std::runtime_error("Cannot register two producers");
  if (streaming && dynamic_cast<IPushProducer*>(&producer) == nullptr) {
    throw std::invalid_argument("registerProducer: a streaming producer must be an IPushProducer");
  }
  if (!streaming && dynamic_cast<IPullProducer*>(&producer) == nullptr) {
    throw std::invalid_argument(
        "registerProducer: a non-streaming producer must be an IPullProducer");
  }
  producer_ = &producer;
  streaming_ = streaming;
}

void StringTransport::unregisterProducer() {
  if (producer_ == nullptr) {
    throw std::runtime_error("Cannot unregister a producer unless one is registered");
  }
  producer_ = nullptr;
  streaming_ = false;
}

void StringTransport::checkState() const {
  if (disconnecting_ && !lenient_) {
    throw std::runtime_error("Cannot resume producing after loseConnection");
  }
  if (producerState_ == ProducerState::stopped) {
    throw std::runtime_error("Cannot resume a stopped producer");
  }
}

void StringTransport::pauseProducing() {
  checkState();
  producerState_ = ProducerState::paused;
}

void StringTransport::resumeProducing() {
  checkState();
  producerState_ = ProducerState::producing;
}

void StringTransportWithDisconnection::lose(const Failure& reason) {
  if (!connected()) return;
  setConnected(false);
  setDisconnecting();
  if (protocol_ != nullptr) protocol_->connectionLost(reason);
}

void StringTransportWithDisconnection::loseConnection() {
  lose(Failure(std::make_exception_ptr(tw::error::ConnectionDone("Bye"))));
}

void StringTransportWithDisconnection::abortConnection() {
  if (!connected()) return;
  StringTransport::abortConnection();
  lose(Failure(std::make_exception_ptr(tw::error::ConnectionAborted())));
}

}  // namespace tw::fakes
