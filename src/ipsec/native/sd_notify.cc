// The systemd notification protocol (sd_notify(3), "NOTIFY_SOCKET"): newline-separated
// VARIABLE=value assignments in one AF_UNIX datagram to the socket named by $NOTIFY_SOCKET,
// which is a filesystem path or, when it starts with '@', a Linux abstract socket name. Node has
// no AF_UNIX datagram sockets, hence this function in the addon.

#include "sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

namespace kinkd {
namespace {

int SendNotification(const std::string& path, const std::string& state) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() < 2 || path.size() >= sizeof address.sun_path) return EINVAL;
  // systemd also accepts "vsock:" addresses (for VMs); kinkd runs on the host, so only these two.
  if (path[0] != '/' && path[0] != '@') return EAFNOSUPPORT;
  memcpy(address.sun_path, path.data(), path.size());
  socklen_t length = offsetof(sockaddr_un, sun_path) + path.size();
  if (path[0] == '@') {
    // Abstract names are the bytes after a leading NUL, their length taken from the address length.
    address.sun_path[0] = '\0';
  } else {
    length += 1;
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  // MSG_DONTWAIT: a stalled service manager yields EAGAIN instead of a stalled daemon.
  ssize_t sent = sendto(fd, state.data(), state.size(), MSG_NOSIGNAL | MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&address), length);
  int err = sent < 0 ? errno : 0;
  close(fd);
  return err;
}

}  // namespace

Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) throw Napi::TypeError::New(env, "sdNotify(socketPath, state)");
  return Napi::Number::New(env, SendNotification(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value()));
}

}  // namespace kinkd
