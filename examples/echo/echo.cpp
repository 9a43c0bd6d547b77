/// @file
/// Echo server and client.  See echo.hpp.
#include "echo.hpp"

#include "tw/interfaces/i_transport.hpp"

#include <utility>

namespace echo {

void Echo::connectionMade() {
  if (auto* tcp = dynamic_cast<tw::ITCPTransport*>(transport())) tcp->setTcpNoDelay(true);
}

void Echo::dataReceived(std::string_view data) { transport()->write(data); }

std::shared_ptr<tw::IProtocol> EchoFactory::buildProtocol(const tw::IAddress& /*addr*/) {
  ++connections_;
  return makeProtocol<Echo>();
}

void EchoClient::connectionMade() {
  if (message_.empty()) {
    finish();
    return;
  }
  transport()->write(message_);
}

void EchoClient::dataReceived(std::string_view data) {
  if (finished_) return;
  received_.append(data);
  if (received_.size() >= message_.size()) finish();
}

void EchoClient::finish() {
  finished_ = true;
  // Close before firing, so a callback sees the connection closing; a transport that reports
  // the close at once (StringTransportWithDisconnection) finds the echo finished.
  transport()->loseConnection();
  echoed_.callback(received_);
}

void EchoClient::connectionLost(const tw::Failure& reason) {
  if (!finished_) {
    finished_ = true;
    echoed_.errback(reason);
  }
  tw::Protocol::connectionLost(reason);
}

std::shared_ptr<tw::IProtocol> EchoClientFactory::buildProtocol(const tw::IAddress& /*addr*/) {
  return makeProtocol<EchoClient>(message_);
}

}  // namespace echo
