/// @file
/// Quote of the day.  See qotd.hpp.
#include "qotd.hpp"

#include <utility>

#include "tw/error.hpp"

namespace qotd {

namespace {

/// Throws std::invalid_argument if `quote` cannot be served; `where` names it in the message.
void checkQuote(std::string_view quote, const std::string& where) {
  if (quote.empty()) throw std::invalid_argument(where + " is empty");
  if (quote.size() > kMaxQuoteLength) {
    throw std::invalid_argument(where + " is " + std::to_string(quote.size()) +
                                " bytes long; a quote has at most " +
                                std::to_string(kMaxQuoteLength));
  }
  if (quote.find_first_of("\r\n") != std::string_view::npos) {
    throw std::invalid_argument(where + " holds a line break; a quote is one line");
  }
}

std::string_view trim(std::string_view s) {
  auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  auto end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

}  // namespace

void QOTD::connectionMade() {
  transport()->writeSequence({quote_, "\r\n"});
  transport()->loseConnection();
}

QOTDFactory::QOTDFactory(std::vector<std::string> quotes) : quotes_(std::move(quotes)) {
  if (quotes_.empty()) throw std::invalid_argument("QOTDFactory: no quote to serve");
  for (std::size_t i = 0; i < quotes_.size(); ++i) {
    checkQuote(quotes_[i], "QOTDFactory: quote " + std::to_string(i + 1));
  }
}

std::vector<std::string> QOTDFactory::parseQuotes(std::string_view text) {
  std::vector<std::string> quotes;
  std::size_t lineNumber = 0;
  while (!text.empty()) {
    ++lineNumber;
    auto end = text.find('\n');
    std::string_view line = trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    checkQuote(line, "QOTD quotes: line " + std::to_string(lineNumber));
    quotes.emplace_back(line);
  }
  if (quotes.empty()) throw std::invalid_argument("QOTD quotes: no quote in the text");
  return quotes;
}

std::string QOTDFactory::nextQuote() {
  std::string quote = quotes_[next_];
  next_ = (next_ + 1) % quotes_.size();
  return quote;
}

std::shared_ptr<tw::IProtocol> QOTDFactory::buildProtocol(const tw::IAddress& /*addr*/) {
  return makeProtocol<QOTD>(nextQuote());
}

void QOTDClient::connectionLost(const tw::Failure& reason) {
  if (!reason.check<tw::error::ConnectionDone>()) {
    quote_.errback(reason);
  } else if (received_.empty()) {
    quote_.errback(tw::Failure(NoQuoteError()));
  } else {
    std::string quote = std::move(received_);
    if (quote.ends_with("\r\n")) quote.resize(quote.size() - 2);
    quote_.callback(std::move(quote));
  }
  tw::Protocol::connectionLost(reason);
}

std::shared_ptr<tw::IProtocol> QOTDClientFactory::buildProtocol(const tw::IAddress& /*addr*/) {
  last_ = makeProtocol<QOTDClient>();
  return last_;
}

}  // namespace qotd
