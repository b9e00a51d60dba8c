// A part of the server process with one job, a start and a stop. `Application` starts its
// components in order and, on a stop signal, first stops every listener together (one drain
// deadline, see listeners.h) and then the components in reverse order.
#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "base/result.h"

namespace roadside::server {

class Component {
 public:
  virtual ~Component() = default;

  // Names the component in the "cannot start" log line.
  virtual std::string_view name() const = 0;
  // Gets the component working. An error stops the server from starting: the components
  // started before are stopped in reverse order, and this one is destroyed without a stop,
  // so a start that fails half-way undoes what it began.
  virtual Status start() = 0;
  // Ends the component's work: called on the io_context's threads after the listeners have
  // stopped (no request uses the component any more) and before the components it uses stop.
  // It is destroyed only after every component has stopped.
  virtual boost::asio::awaitable<void> stop() { co_return; }
};

}  // namespace roadside::server
