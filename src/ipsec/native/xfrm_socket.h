// NETLINK_XFRM transport for src/ipsec/xfrm-sink.ts. The TypeScript side encodes whole batches
// of netlink messages (src/ipsec/xfrm-codec.ts); this side owns the sockets, numbers the messages,
// sends them many per sendmsg() on the socket's own sender thread, matches the acknowledgements by
// sequence number and hands the multicast EXPIRE/ACQUIRE messages back as raw bytes.
#pragma once

#include <napi.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
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

// One batch() or dump() call: queued by the JavaScript thread, run by the sender thread, settled
// back on the JavaScript thread (xfrm_socket.cc).
struct Job;
class XfrmSocket;
// The sender thread's thread-safe-function callback: settles `job` on the JavaScript thread.
void SettleJob(Napi::Env env, Napi::Function unused, XfrmSocket* socket, Job* job);

class XfrmSocket : public Napi::ObjectWrap<XfrmSocket> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit XfrmSocket(const Napi::CallbackInfo& info);
  ~XfrmSocket() override;

  // Settles a finished job on the JavaScript thread (called through SettleJob).
  void Settle(Napi::Env env, Job* job);

 private:
  Napi::Value Batch(const Napi::CallbackInfo& info);
  Napi::Value Dump(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Enqueue(Napi::Env env, Job* job);
  void Shutdown();
  void EventLoop();
  void SendLoop();
  // Run on the sender thread; `errnos`/`spis` have one slot per message. Returns 0 or a fatal
  // errno (socket-level failure that left no message answered).
  int RunBatch(uint8_t* data, size_t length, uint32_t count, int32_t* errnos, uint32_t* spis, int retries, BatchOutcome& out);
  // One NLM_F_DUMP request, all reply messages concatenated into `out`.
  int RunDump(uint8_t* request, size_t length, std::vector<uint8_t>& out);
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
  // Touched by the sender thread only (after construction).
  uint32_t nextSeq_ = 1;
  std::vector<uint8_t> receiveArena_;
  // Jobs in call order. The sender thread owns the request socket and runs them one after the
  // other without returning to JavaScript in between, so acknowledgements are matched against
  // the one batch that is waiting for them and the kernel never waits for the event loop while
  // a job is queued. Guarded by queueMutex_, as is closed_.
  std::mutex queueMutex_;
  std::condition_variable queueReady_;
  std::deque<Job*> queue_;
  bool closed_ = false;
  std::thread sendThread_;
  Napi::TypedThreadSafeFunction<XfrmSocket, Job, SettleJob> settle_;
  // Jobs not yet settled; JavaScript thread only. While any is, the settle function keeps the
  // event loop alive (as a libuv request would).
  uint32_t unsettled_ = 0;
  std::thread eventThread_;
  Napi::ThreadSafeFunction onEvents_;
};

}  // namespace kinkd
