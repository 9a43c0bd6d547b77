/// @file
/// Properties of echo: the server gives back exactly what it got however it arrives, and the
/// client completes exactly when the whole message is back, however the echo is split.
#include "echo.hpp"

#include <rapidcheck.h>

#include <string>

#include <tw/fakes/string_transport.hpp>
#include <tw/trial/assertions.hpp>
#include <tw/trial/generators.hpp>
#include <tw/trial/prop.hpp>

// The server's output is its input, for any bytes in any chunking.
TW_PROP(EchoPropertyTests, serverEchoesAnyChunking, (const std::string& input)) {
  auto pieces = *tw::trial::chunkings(input);
  echo::Echo proto;
  tw::fakes::StringTransport tr;
  proto.makeConnection(tr);
  for (const auto& piece : pieces) proto.dataReceived(piece);
  RC_ASSERT(tr.value() == input);
  RC_ASSERT(!tr.disconnecting());
}

// The client has no result until the last piece of its echo, and then has the message.
TW_PROP(EchoPropertyTests, clientCompletesOnLastPiece, (const std::string& message)) {
  RC_PRE(!message.empty());
  auto pieces = *tw::trial::chunkings(message);
  echo::EchoClient client(message);
  tw::fakes::StringTransport tr;
  client.makeConnection(tr);
  for (const auto& piece : pieces) {
    RC_ASSERT(!client.whenEchoed().called());
    RC_ASSERT(!tr.disconnecting());
    client.dataReceived(piece);
  }
  RC_ASSERT(tw::trial::successResultOf(client.whenEchoed()) == message);
  RC_ASSERT(tr.disconnecting());
}
