// Shared by the client scripts: arguments, the model-free workflow, a deadline, and the check that
// the image downloaded through /view is the very file the server saved.
import fs from "node:fs";
import path from "node:path";

// Node 18 (Debian 12) has no global CustomEvent; @saintno/comfyui-sdk dispatches them.
if (typeof globalThis.CustomEvent === "undefined") {
  globalThis.CustomEvent = class CustomEvent extends Event {
    constructor(type, init = {}) {
      super(type, init);
      this.detail = init.detail ?? null;
    }
  };
}

export function parseArgs(argv) {
  const args = { url: null, outputDir: null, timeoutMs: 60000 };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    if (a === "--output-dir") args.outputDir = argv[++i];
    else if (a === "--timeout-ms") args.timeoutMs = Number(argv[++i]);
    else if (!args.url) args.url = a;
    else fail(`unexpected argument ${a}`);
  }
  if (!args.url || !args.outputDir)
    fail("usage: node <script> <server url, e.g. http://127.0.0.1:8188> --output-dir <server output folder> [--timeout-ms N]");
  args.url = args.url.replace(/\/+$/, "");
  return args;
}

export function fail(message) {
  console.error(`FAIL: ${message}`);
  if (timeline.length) console.error(`timeline:\n${timeline.join("\n")}`);
  process.exit(1);
}

// Exits with a message naming the stage that hung; the clients themselves can wait forever.
// A timeline of what the script saw (stages, socket messages, replies), printed when it fails.
const t0 = Date.now();
const timeline = [];
export function note(what) {
  timeline.push(`${String(Date.now() - t0).padStart(6)} ms ${what}`);
}
let stage = "starting";
export function setStage(s) {
  stage = s;
  note(`stage: ${s}`);
  console.log(`.. ${s}`);
}
export function armDeadline(ms) {
  setTimeout(() => fail(`timed out after ${ms} ms while ${stage}`), ms).unref();
}

// EmptyImage -> ImageInvert -> SaveImage: one output node, no model. A distinct colour and prefix
// per run keep the server's cache from answering a later run with an earlier one's outputs.
export function workflow(prefix) {
  const color = Math.floor(Math.random() * 0xffffff);
  return {
    "1": { class_type: "EmptyImage", inputs: { width: 64, height: 48, batch_size: 1, color } },
    "2": { class_type: "ImageInvert", inputs: { image: ["1", 0] } },
    "3": { class_type: "SaveImage", inputs: { images: ["2", 0], filename_prefix: prefix } },
  };
}
export const OUTPUT_NODE = "3";

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// The downloaded bytes must be a PNG and equal the file in the server's output folder.
export function compareWithDisk(outputDir, image, bytes) {
  if (!image || typeof image.filename !== "string") fail(`no image reference: ${JSON.stringify(image)}`);
  if (image.type !== "output") fail(`image type is ${image.type}, expected output`);
  const file = path.join(outputDir, image.subfolder ?? "", image.filename);
  if (!fs.existsSync(file)) fail(`the server reported ${image.filename} but ${file} does not exist`);
  const onDisk = fs.readFileSync(file);
  if (!bytes.subarray(0, 8).equals(PNG_MAGIC)) fail(`/view did not return a PNG for ${image.filename}`);
  if (!onDisk.equals(bytes))
    fail(`/view returned ${bytes.length} bytes for ${image.filename}, the file on disk has ${onDisk.length} and differs`);
  return file;
}
