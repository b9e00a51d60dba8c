// A part of the server process with one job, a start and a stop. `Application` starts its
// components in order and, on a stop signal, closes them, stops every listener together (one
// drain deadline, see listeners.h) and then stops the components in reverse order.
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
  // Gets the component working. An error stops the server from starting: this component and
  // the ones started before it are then closed and stopped like at a stop signal, so close()
  // and stop() must cope with a start that failed half-way.
  virtual Status start() = 0;
  // Stops taking new work at once (a socket of its own stops accepting). Called on every
  // component, in reverse order, before the listeners drain.
  virtual void close() {}
  // Ends the component's work: called on the io_context's threads after the listeners have
  // stopped and before the components it uses stop. It is destroyed only after every
  // component has stopped and the io_context has dropped what was still waiting on it.
  virtual boost::asio::awaitable<void> stop() { co_return; }
};

}  // namespace roadside::server
