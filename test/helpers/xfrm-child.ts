// Child process for test/ipsec/xfrm-encoding.test.ts, run under strace: performs each operation
// of the JSON in argv[3] through XfrmSink in namespace argv[2], one call (so one sendmsg) at a
// time, and prints each outcome as a JSON line. The test compares what the addon's sendmsg()
// carried with what `ip xfrm` sends for the same object.
import { SinkError, type SinkOp } from "../../src/ipsec/sink.ts";
import { XfrmSink } from "../../src/ipsec/xfrm-sink.ts";
import { type ChildOp, saFromJson } from "./xfrm-cases.ts";

const [, , netns, json] = process.argv;
const sink = XfrmSink.open({ netns: netns as string, events: false });
try {
  for (const op of JSON.parse(json as string) as ChildOp[]) {
    const sinkOp: SinkOp = op.op === "addSa" ? { op: "addSa", sa: saFromJson(op.sa) } : op;
    const [r] = await sink.batch([sinkOp]);
    if (r?.ok) console.log(JSON.stringify({ ok: true }));
    else if (r?.error instanceof SinkError) console.log(JSON.stringify({ ok: false, code: r.error.code, errno: r.error.errno, message: r.error.message }));
    else throw new Error("no result");
  }
} finally {
  await sink.close();
}
