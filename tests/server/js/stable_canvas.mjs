// @stable-canvas/comfyui-client against a weft server: connect over WebSocket (the `ws` package,
// which Node 18/20 need), enqueue() following the socket, then enqueue_polling() following /queue
// and /history; each output image is downloaded through /view and compared with the saved file.
//   node stable_canvas.mjs http://127.0.0.1:8188 --output-dir <server output folder>
import { armDeadline, compareWithDisk, fail, note, parseArgs, setStage, workflow } from "./common.mjs";
import { Client } from "@stable-canvas/comfyui-client";
import WebSocket from "ws";

const args = parseArgs(process.argv.slice(2));
armDeadline(args.timeoutMs);

const u = new URL(args.url);
const client = new Client({ api_host: u.host, WebSocket, clientId: `weft-stable-canvas-${process.pid}` });
client.on("message", (ev) => {
  if (typeof ev.data !== "string") return note(`ws binary ${ev.data.byteLength ?? ev.data.length} bytes`);
  const m = JSON.parse(ev.data);
  note(`ws ${m.type} ${m.type === "executing" ? `node=${m.data?.node} ` : ""}${m.data?.prompt_id ?? ""}`);
});
// Log the replies too, to tell apart "the event came before the POST reply" from "it never came".
const fetchApi = client.fetchApi.bind(client);
client.fetchApi = async (route, options) => {
  const res = await fetchApi(route, options);
  if (route.startsWith("/prompt")) note(`POST ${route} -> ${res.status}`);
  return res;
};

async function checkImages(out, mode) {
  const urls = (out.images ?? []).filter((i) => i.type === "url").map((i) => i.data);
  if (urls.length !== 1) fail(`${mode}: expected one image URL, got ${JSON.stringify(out.images)}`);
  const url = new URL(urls[0]);
  if (url.pathname !== "/view") fail(`${mode}: the image URL is ${url}`);
  const res = await fetch(url);
  if (res.status !== 200) fail(`${mode}: GET ${url} answered ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const image = Object.fromEntries(["filename", "subfolder", "type"].map((k) => [k, url.searchParams.get(k)]));
  return [compareWithDisk(args.outputDir, image, bytes), bytes.length];
}

setStage("connecting the WebSocket");
await client.connect({ timeout_ms: 10000 });

setStage("enqueue() over the WebSocket");
let progressEvents = 0;
const viaWs = await client.enqueue(workflow("npm_stable_canvas_ws"), {
  progress: () => ++progressEvents,
  timeout_ms: args.timeoutMs,
});
const [wsFile, wsBytes] = await checkImages(viaWs, "enqueue");

setStage("enqueue_polling() over /queue and /history");
const viaPolling = await client.enqueue_polling(workflow("npm_stable_canvas_polling"), {
  polling_ms: 50,
  timeout_ms: args.timeoutMs,
});
const [pollFile, pollBytes] = await checkImages(viaPolling, "enqueue_polling");

setStage("checking /history paging");
const { History } = await client.getHistory(1);
if (History.length !== 1 || History[0].prompt?.[1] !== viaPolling.prompt_id)
  fail(`GET /history?max_items=1 did not return the newest prompt: ${JSON.stringify(History.map((h) => h.prompt?.[1]))}`);

client.close();
console.log(`OK stable-canvas: enqueue ${viaWs.prompt_id} (${wsBytes} bytes = ${wsFile}, ${progressEvents} progress events); ` +
  `enqueue_polling ${viaPolling.prompt_id} (${pollBytes} bytes = ${pollFile})`);
process.exit(0);
