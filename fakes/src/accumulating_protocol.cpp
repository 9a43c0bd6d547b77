/// @file
/// AccumulatingProtocol.  Tests: tests/fakes/accumulating_protocol_test.cpp
#include "tw/fakes/accumulating_protocol.hpp"

#include <memory>

namespace tw::fakes {

AccumulatingFactory::AccumulatingFactory() {
  setProtocol([] { return std::make_shared<AccumulatingProtocol>(); });
  setNoisy(false);
}

void AccumulatingProtocol::connectionMade() {
  made_ = true;
  if (auto* f = dynamic_cast<AccumulatingFactory*>(factory());
      f != nullptr && f->protocolConnectionMade) {
    Deferred<AccumulatingProtocol*> d = std::move(*f->protocolConnectionMade);
    f->protocolConnectionMade.reset();
    d.callback(this);
  }
}

void AccumulatingProtocol::dataReceived(std::string_view data) { data_.append(data); }

void AccumulatingProtocol::connectionLost(const Failure& reason) {
  closed_ = true;
  closedReason_ = reason;
  Protocol::connectionLost(reason);
  if (closedDeferred) {
    Deferred<void> d = std::move(*closedDeferred);
    closedDeferred.reset();
    d.callback();
  }
}

}  // namespace tw::fakes
