import { jobRunning, neighbourLayer } from "../keyboard";
import { asBytes, TRANSPORT_PROBE } from "../protocol";
import { fromBase64, toBase64, Transport } from "../transport";
import type { WidgetModel } from "../types";
import { check, equal } from "./check";

/** A model that records what is sent and lets the test deliver custom messages. */
function fakeModel(traits: Record<string, unknown> = {}) {
  const sent: { content: any; buffers?: unknown[] }[] = [];
  const handlers = new Map<string, Set<(...a: any[]) => void>>();
  const model = {
    get: (name: string) => traits[name],
    set: (name: string, value: unknown) => { traits[name] = value; },
    save_changes() {},
    on(event: string, cb: (...a: any[]) => void) { (handlers.get(event) ?? handlers.set(event, new Set()).get(event)!).add(cb); },
    off(event: string, cb: (...a: any[]) => void) { handlers.get(event)?.delete(cb); },
    send(content: object, _callbacks?: unknown, buffers?: unknown[]) { sent.push({ content, buffers }); },
  } as unknown as WidgetModel;
  const deliver = (content: object, buffers: unknown[] = []) => handlers.get("msg:custom")?.forEach((cb) => cb(content, buffers));
  return { model, sent, deliver, handlers };
}

const probe = () => new DataView(TRANSPORT_PROBE.slice().buffer);

check("base64 round-trips bytes of every value, longer than one encoding chunk", () => {
  const bytes = new Uint8Array(70_000).map((_, i) => (i * 7919) & 255);
  const back = fromBase64(toBase64(bytes));
  equal(back.byteLength, bytes.length, "length");
  equal(Array.from(new Uint8Array(back.buffer)).every((b, i) => b === bytes[i]), true, "bytes");
  equal(toBase64(new Uint8Array([0xca, 0xfe, 0, 1])), "yv4AAQ==");
});

check("asBytes reads a Bytes trait sent as {b64}", () => {
  equal(Array.from(asBytes({ b64: "yv4AAQ==" })), [0xca, 0xfe, 0, 1]);
  equal(asBytes({ b64: 3 }).length, 0, "not a string: no bytes");
});

check("an answered probe with its buffer keeps binary buffers", () => {
  const { model, sent, deliver } = fakeModel();
  const t = new Transport(model);
  const seen: string[] = [];
  t.onEncoding((e) => seen.push(e));
  t.probe();
  equal(sent[0].content, { type: "transport", probe: true });
  equal(Array.from(new Uint8Array(sent[0].buffers![0] as ArrayBuffer)), Array.from(TRANSPORT_PROBE));
  t.model.on("msg:custom", () => {});
  deliver({ type: "transport", received: true, encoding: "buffers" }, [probe()]);
  equal(t.encoding, "buffers");
  equal(seen, ["buffers"]);
  equal(sent.length, 1, "nothing more sent");
});

check("a probe answer without its buffer switches to base64 both ways", () => {
  const { model, sent, deliver } = fakeModel();
  const t = new Transport(model);
  const got: unknown[][] = [];
  const listener = (_content: unknown, buffers: unknown[]) => got.push(buffers);
  t.model.on("msg:custom", listener);
  deliver({ type: "transport", received: true, encoding: "buffers" }, []); // the buffer was dropped on the way
  equal(t.encoding, "base64");
  equal(sent[sent.length - 1].content, { type: "transport", encoding: "base64" });
  t.model.send({ type: "upload", name: "a.png" }, undefined, [new Uint8Array([1, 2, 3])]);
  equal(sent[sent.length - 1].content, { type: "upload", name: "a.png", b64: ["AQID"] });
  equal(sent[sent.length - 1].buffers, undefined, "no binary buffers");
  deliver({ type: "maximize_progress", job: 1, b64: ["yv4AAQ=="] }, []);
  equal(Array.from(asBytes(got[got.length - 1][0])), [0xca, 0xfe, 0, 1], "incoming base64 handed over as a buffer");
  t.model.off("msg:custom", listener);
  deliver({ type: "maximize_progress", job: 2, b64: [] }, []);
  equal(got.length, 2, "no call after off");
});

check("keys: the neighbouring layer and whether a job runs", () => {
  const { model } = fakeModel({
    layers: [{ name: "conv1" }, { name: "layer1" }, { name: "layer2" }], layer: "layer1",
    maximize_state: { status: "done" }, dream_state: { status: "running" },
  });
  equal([neighbourLayer(model, -1), neighbourLayer(model, 1)], ["conv1", "layer2"]);
  model.set("layer", "layer2");
  equal(neighbourLayer(model, 1), "", "past the last layer");
  equal(jobRunning(model), true, "a dream runs");
  model.set("dream_state", { status: "cancelled" });
  equal(jobRunning(model), false);
  model.set("attribution_state", { status: "running", method: "occlusion" });
  equal(jobRunning(model), true, "an occlusion runs: Esc cancels it");
  model.set("attribution_state", { status: "done" });
  model.set("adversarial_state", { status: "running" });
  equal(jobRunning(model), true, "an attack runs");
  model.set("adversarial_state", { status: "cancelled" });
  equal(jobRunning(model), false, "nothing runs");
});
