// @saintno/comfyui-sdk against a weft server: init (ping, system_stats, extension probes, WebSocket),
// CallWrapper.run() on a model-free workflow, progress over the socket, the image through /view.
//   node saintno.mjs http://127.0.0.1:8188 --output-dir <server output folder>
import { armDeadline, compareWithDisk, fail, note, OUTPUT_NODE, parseArgs, setStage, workflow } from "./common.mjs";
import { CallWrapper, ComfyApi, PromptBuilder } from "@saintno/comfyui-sdk";
import WebSocket from "ws";

const args = parseArgs(process.argv.slice(2));
armDeadline(args.timeoutMs);

const clientId = `weft-saintno-${process.pid}`;
const api = new ComfyApi(args.url, clientId, { customWebSocketImpl: WebSocket });
const events = [];   // [type, data] of every text frame, for the order checks below
api.on("all", (ev) => {
  events.push([ev.detail.type, ev.detail.data]);
  const d = ev.detail.data;
  note(`ws ${ev.detail.type} ${ev.detail.type === "executing" ? `node=${d?.node} ` : ""}${d?.prompt_id ?? ""}`);
});

setStage("waiting for init (GET /prompt, /system_stats, /object_info probe, WebSocket)");
await api.init(5, 200).waitForReady();
setStage("waiting for the WebSocket");
while (!api.socket?.client || api.socket.client.readyState !== WebSocket.OPEN) await new Promise((r) => setTimeout(r, 20));

setStage("running the workflow with CallWrapper");
const job = new PromptBuilder(workflow("npm_saintno"), [], ["images"]).setOutputNode("images", OUTPUT_NODE);
let failure = null;
let promptId = null;
const result = await new CallWrapper(api, job)
  .onPending((id) => (promptId = id))
  .onFailed((e) => (failure = e))
  .run();
if (!result) fail(`CallWrapper.run() failed: ${failure?.message} ${JSON.stringify(failure?.cause ?? null)}`);
if (!promptId) fail("no prompt id");

setStage("downloading the image through /view");
const image = result.images?.images?.[0];
const bytes = Buffer.from(await (await api.getImage(image)).arrayBuffer());
const file = compareWithDisk(args.outputDir, image, bytes);

setStage("checking /history and /queue");
const entry = await api.getHistory(promptId);
if (entry?.status?.status_str !== "success" || entry?.status?.completed !== true)
  fail(`history entry status: ${JSON.stringify(entry?.status)}`);
if (entry.prompt?.[1] !== promptId) fail(`history entry prompt[1] is ${entry.prompt?.[1]}`);
const queue = await api.getQueue();
if ([...queue.queue_running, ...queue.queue_pending].some((q) => q[1] === promptId))
  fail("the finished prompt is still in /queue");

// What this client saw on its socket for the prompt, in order.
const mine = events.filter(([, d]) => d?.prompt_id === promptId).map(([t, d]) => (t === "executing" ? `executing:${d.node}` : t));
for (const want of ["execution_start", "execution_cached", `executing:${OUTPUT_NODE}`, "executed", "execution_success", "executing:null"])
  if (!mine.includes(want)) fail(`never saw ${want} for the prompt; saw ${mine.join(", ")}`);
if (mine.indexOf("execution_start") > mine.indexOf("executed") || mine.lastIndexOf("executing:null") < mine.indexOf("executed"))
  fail(`events out of order: ${mine.join(", ")}`);
if (!events.some(([t, d]) => t === "status" && d?.sid === clientId)) fail("the socket's first status did not carry our clientId as sid");

api.destroy();
console.log(`OK saintno: prompt ${promptId}, ${bytes.length} bytes equal to ${file}; events: ${mine.join(", ")}`);
process.exit(0);
