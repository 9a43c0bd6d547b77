/// @file
/// Quote of the day (RFC 865): a server that sends one quote to each connection and closes it,
/// its configurable factory, and a client that fetches a quote.
/// Twisted: twisted.protocols.wire.QOTD and the QOTD/QOTDFactory of Twisted's "Writing Servers"
/// howto.  Tests: examples/qotd/tests/qotd_test.cpp
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "tw/deferred.hpp"
#include "tw/factory.hpp"
#include "tw/protocol.hpp"

namespace qotd {

/// The quote Twisted's howto serves when it is given none.
inline constexpr std::string_view kDefaultQuote = "An apple a day keeps the doctor away";

/// The longest quote served, in bytes: RFC 865 asks for fewer than 512 characters.
inline constexpr std::size_t kMaxQuoteLength = 511;

/// The QOTD protocol: on connection, writes its quote and a CRLF, then closes.  Reads nothing.
/// Twisted: QOTD (whose quote comes from `self.factory.quote`).
class QOTD : public tw::Protocol {
 public:
  explicit QOTD(std::string quote = std::string(kDefaultQuote)) : quote_(std::move(quote)) {}
  /// Writes the quote and closes the connection.
  void connectionMade() override;
  const std::string& quote() const noexcept { return quote_; }

 private:
  std::string quote_;
};

/// Serves the quotes it was configured with, one per connection, in turn (the first connection
/// gets the first quote, and after the last it starts again).  Twisted: the howto's
/// QOTDFactory(quote), extended to several quotes.
///
/// @code
/// auto factory = std::make_shared<qotd::QOTDFactory>(qotd::QOTDFactory::fromText(
///     "# one quote a line\n"
///     "The best way out is always through.\n"
///     "Simplicity is prerequisite for reliability.\n"));
/// reactor.listenTCP(8017, factory);
/// @endcode
///
/// A configuration is checked when the factory is made, so a bad one fails at start-up, not at
/// the first connection.
class QOTDFactory : public tw::ServerFactory {
 public:
  /// Serves kDefaultQuote.
  QOTDFactory() : QOTDFactory(std::vector<std::string>{std::string(kDefaultQuote)}) {}
  /// Serves `quote`.  @throws std::invalid_argument as the list constructor.
  explicit QOTDFactory(std::string quote)
      : QOTDFactory(std::vector<std::string>{std::move(quote)}) {}
  /// Serves `quotes` in turn.
  /// @throws std::invalid_argument if the list is empty, or a quote is empty, longer than
  ///         kMaxQuoteLength or holds a CR or LF (a quote is one line).
  explicit QOTDFactory(std::vector<std::string> quotes);

  /// The quotes of a text, one per line: lines are trimmed of spaces, tabs and a CR, and blank
  /// lines and lines starting with '#' are skipped.
  /// @throws std::invalid_argument if no quote is left, or a quote is too long (naming its line).
  static std::vector<std::string> parseQuotes(std::string_view text);
  /// A factory serving parseQuotes(text).
  static std::shared_ptr<QOTDFactory> fromText(std::string_view text) {
    return std::make_shared<QOTDFactory>(parseQuotes(text));
  }

  /// The quote the next connection gets; moves on to the following one.
  std::string nextQuote();
  /// The quotes served, in order.
  const std::vector<std::string>& quotes() const noexcept { return quotes_; }

  /// A QOTD with nextQuote().
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& addr) override;

 private:
  std::vector<std::string> quotes_;
  std::size_t next_ = 0;
};

/// The server closed the connection cleanly without sending a quote.
class NoQuoteError : public std::runtime_error {
 public:
  NoQuoteError() : std::runtime_error("the server closed the connection without a quote") {}
};

/// A QOTD client: reads until the server closes, then fires whenQuote() with the quote (without
/// its line end).  Twisted has none; it is what `nc host 17` does.
class QOTDClient : public tw::Protocol {
 public:
  /// Fires with the quote when the server closes the connection cleanly; fails with
  /// NoQuoteError if it sent nothing, or with the reason if the connection was lost.
  tw::Deferred<std::string> whenQuote() const { return quote_; }

  void dataReceived(std::string_view data) override { received_.append(data); }
  void connectionLost(const tw::Failure& reason) override;

 private:
  std::string received_;
  tw::Deferred<std::string> quote_;
};

/// Builds QOTDClients, for connectTCP.
class QOTDClientFactory : public tw::ClientFactory {
 public:
  std::shared_ptr<tw::IProtocol> buildProtocol(const tw::IAddress& addr) override;
  /// The client built last (each connection gets a new one), or null.
  std::shared_ptr<QOTDClient> lastClient() const { return last_; }

 private:
  std::shared_ptr<QOTDClient> last_;
};

}  // namespace qotd
