// sd_notify(3) without libsystemd: one datagram to $NOTIFY_SOCKET.
#pragma once

#include <napi.h>

namespace kinkd {

// sdNotify(socketPath, state) → 0 or errno. Never blocks the event loop.
Napi::Value SdNotify(const Napi::CallbackInfo& info);

}  // namespace kinkd
