// kinkd's native addon: the NETLINK_XFRM transport (xfrm_socket.cc) and sd_notify (sd_notify.cc),
// loaded by src/ipsec/native.ts.

#include <napi.h>

#include "sd_notify.h"
#include "xfrm_socket.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("XfrmSocket", kinkd::XfrmSocket::Define(env));
  exports.Set("sdNotify", Napi::Function::New<kinkd::SdNotify>(env, "sdNotify"));
  return exports;
}

}  // namespace

NODE_API_MODULE(kinkd_native, Init)
