/// @file
/// ProcessProtocol.  Tests: tests/integration/process_test.cpp
#include "tw/process.hpp"

namespace tw {

void ProcessProtocol::makeConnection(IProcessTransport& transport) {
  transport_ = &transport;
  connected_ = true;
  connectionMade();
}

void ProcessProtocol::childDataReceived(int childFD, std::string_view data) {
  if (childFD == 1) {
    outReceived(data);
  } else if (childFD == 2) {
    errReceived(data);
  }
}

void ProcessProtocol::childConnectionLost(int childFD) {
  if (childFD == 0) {
    inConnectionLost();
  } else if (childFD == 1) {
    outConnectionLost();
  } else if (childFD == 2) {
    errConnectionLost();
  }
}

}  // namespace tw
