// NETLINK_XFRM transport for src/ipsec/xfrm-sink.ts. The TypeScript side encodes whole batches
// of netlink messages (src/ipsec/xfrm-codec.ts); this side owns the sockets, numbers the messages,
// sends them many per sendmsg() on a libuv pool thread, matches the acknowledgements by sequence
// number and hands the multicast EXPIRE/ACQUIRE messages back as raw bytes.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace kinkd {

// Result slot value for a message whose acknowledgement never arrived (lost to a receive-buffer
// overflow or the receive timeout): the kernel may or may not have applied it.
constexpr int32_t kAckLost = -1;

struct BatchOutcome {
  // (message index, kernel's extended-ack text) for failed messages that carried one.
  std::vector<std::pair<uint32_t, std::string>> messages;
};

class XfrmSocket : public Napi::ObjectWrap<XfrmSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit XfrmSocket(const Napi::CallbackInfo& info);
  ~XfrmSocket() override;

  // Runs on a pool thread; `errnos`/`spis` have one slot per message. Returns 0 or a fatal errno
  // (socket-level failure that left no message answered).
  int RunBatch(uint8_t* data, size_t length, uint32_t count, int32_t* errnos, uint32_t* spis, int retries, BatchOutcome& out);
  // Runs on a pool thread: one NLM_F_DUMP request, all reply messages concatenated into `out`.
  int RunDump(uint8_t* request, size_t length, std::vector<uint8_t>& out);

 private:
  Napi::Value Batch(const Napi::CallbackInfo& info);
  Napi::Value Dump(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  void Shutdown();
  void EventLoop();
  int SendChunk(uint8_t* data, const std::vector<size_t>& offsets, const std::vector<uint32_t>& items, size_t from, size_t to);
  int ReceiveAcks(uint32_t seqBase, uint32_t count, std::vector<uint8_t>& pending, uint32_t outstanding, int32_t* errnos, uint32_t* spis,
                  BatchOutcome& out);

  int requestFd_ = -1;
  int eventFd_ = -1;
  int wakeFd_ = -1;
  uint32_t portId_ = 0;
  int receiveBuffer_ = 0;
  int eventReceiveBuffer_ = 0;
  int sendBuffer_ = 0;
  bool receiveBufferForced_ = false;
  uint32_t nextSeq_ = 1;
  // One batch or dump at a time owns the request socket: acknowledgements are matched by
  // sequence number against the batch that is waiting for them.
  std::mutex requestMutex_;
  std::vector<uint8_t> receiveArena_;
  std::thread eventThread_;
  Napi::ThreadSafeFunction onEvents_;
  bool closed_ = false;
};

}  // namespace kinkd
