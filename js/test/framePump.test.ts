import { FramePump, type Answer, type Flight } from "../framePump";
import { check, equal } from "./check";

/** Grow the window of `pump` to `n`: fill it, answer every frame 10 ms later, draw it, again. */
function grow(pump: FramePump<string>, n: number, start = 0): number {
  let now = start;
  while (pump.window < n) {
    const sent: Flight[] = [];
    while (pump.ready(now)) sent.push(pump.send(now, now, "maps")); // the last call finds it full
    now += 10;
    for (const f of sent) {
      const got = pump.answer(f.id, now, "x", 1);
      if (got) pump.done(got.flight);
    }
  }
  return now;
}

check("frames up to the window go at once; answers are drawn in order, the kernel's skips settle older frames", () => {
  const pump = new FramePump<string>({ maxWindow: 3 });
  equal(pump.window, 1, "starts with one frame in flight");
  const now = grow(pump, 3);
  const before = pump.lost;
  const [a, b, c] = [pump.send(now, now, "maps"), pump.send(now, now, "maps"), pump.send(now, now, "maps")];
  equal(pump.ready(now), false, "no fourth frame: the window is 3");
  equal(pump.inFlight, 3, "three in flight");
  equal(b.id, a.id + 1, "ids increase");
  const got = pump.answer(b.id, now + 20, "B");
  equal(got?.payload, "B", "the answer to b is drawn");
  equal(pump.lost - before, 1, "a was skipped by the kernel: it will never be answered");
  equal(pump.answer(a.id, now + 21, "A"), null, "a late answer to a is stale");
  equal(pump.ready(now + 22), true, "room again: only c is in flight");
  equal(pump.done(got!.flight), null, "nothing waits");
  equal(pump.drawnId, b.id, "the user sees b");
  equal(pump.answer(c.id, now + 30, "C")?.flight.id, c.id, "then c");
});

check("an answer arriving while one is drawn waits; a newer one replaces it (newest wins)", () => {
  const pump = new FramePump<string>({ maxWindow: 4 });
  const now = grow(pump, 4);
  const ids = [0, 1, 2, 3].map(() => pump.send(now, now, "dream").id);
  const first = pump.answer(ids[0], now + 50, "d0")!;
  equal(first.payload, "d0", "drawn at once");
  equal(pump.answer(ids[1], now + 51, "d1"), null, "waits for the drawing under way");
  equal(pump.answer(ids[2], now + 52, "d2"), null, "replaces d1, which is dropped");
  const staleBefore = pump.stale;
  equal(pump.answer(ids[1], now + 53, "d1 again"), null, "a duplicate is stale");
  equal(pump.stale, staleBefore + 1, "counted as stale");
  const next = pump.done(first.flight) as Answer<string>;
  equal(next.payload, "d2", "the newest waiting answer is drawn next");
  equal(pump.drawnId, ids[0], "until it is drawn the user sees d0");
  equal(pump.done(first.flight), null, "done twice does nothing");
  equal(pump.done(next.flight), null, "nothing else waits");
  equal(pump.drawnId, ids[2], "the user sees d2; d1 was never drawn");
});

check("a lost answer times out, the window starts over at one, a late answer is ignored", () => {
  const pump = new FramePump<string>({ maxWindow: 3, timeoutMs: 3000 });
  let now = grow(pump, 2);
  const a = pump.send(now, now, "maps");
  equal(pump.waitLeft(now + 1000), 2000, "time left");
  pump.send(now, now, "maps");
  equal(pump.ready(now + 2999), false, "not yet");
  now += 3000;
  equal(pump.ready(now), true, "timed out");
  equal(pump.window, 1, "window back to one");
  equal(pump.answer(a.id, now + 1, "late"), null, "late answer ignored");
  const b = pump.send(now, now, "maps");
  equal(pump.answer(b.id, now + 20, "b")?.flight.id, b.id, "the current frame's answer");
});

check("the window shrinks when a round trip passes the cap or frames queue in the kernel", () => {
  const pump = new FramePump<string>({ maxWindow: 4, latencyCapMs: 200 });
  let now = grow(pump, 4);
  const base = pump.baseRttMs!;
  const f = pump.send(now, now, "maps");
  pump.answer(f.id, now + 250, "slow", 1); // over the cap
  equal(pump.window, 3, "over the cap: one less");
  now += 300;
  const g = pump.send(now, now, "maps");
  pump.answer(g.id, now + base * 3, "queued", 1); // 3 windows * (3 base - base) / 3 base = 2 frames queued
  equal(pump.window, 2, "queueing: one less");
  const h = pump.send(now, now, "maps");
  pump.answer(h.id, now + base, "fast", 1);
  equal(pump.window, 2, "no growth without a frame waiting for room");
});

/**
 * A camera at `cameraFps`, a network with round trip `rttMs`, a kernel that takes `kernelMs` a
 * frame, one at a time in order; the panel's rule: each new camera frame goes when there is room,
 * and after each drawn answer the newest unsent camera frame goes. Returns drawn frames per
 * second over the last half of `seconds`, median and worst latency (camera to drawn) there, and
 * the largest number of frames in flight seen.
 */
function simulate(cameraFps: number, rttMs: number, kernelMs: number, seconds = 20, maxWindow = 4) {
  const pump = new FramePump<number>({ maxWindow });
  type Event = { at: number; run: () => void };
  const events: Event[] = [];
  const at = (t: number, run: () => void) => {
    events.push({ at: t, run });
    events.sort((x, y) => x.at - y.at);
  };
  let kernelFree = 0, latestCam = -1, sentCam = -1, most = 0;
  const drawn: { at: number; latency: number }[] = [];
  const camAt = (i: number) => (i * 1000) / cameraFps;
  const trySend = (now: number) => {
    if (latestCam === sentCam || !pump.ready(now)) return;
    sentCam = latestCam;
    const f = pump.send(now, camAt(latestCam), "maps");
    most = Math.max(most, pump.inFlight);
    const arrives = now + rttMs / 2;
    const finish = Math.max(arrives, kernelFree) + kernelMs;
    kernelFree = finish;
    at(finish + rttMs / 2, () => {
      const t = finish + rttMs / 2;
      const got = pump.answer(f.id, t, f.id, kernelMs);
      if (!got) return;
      drawn.push({ at: t, latency: t - got.flight.t });
      pump.done(got.flight);
      trySend(t);
    });
  };
  for (let i = 0; camAt(i) < seconds * 1000; i++) at(camAt(i), () => { latestCam = i; trySend(camAt(i)); });
  while (events.length) events.shift()!.run();
  const late = drawn.filter((d) => d.at >= (seconds * 1000) / 2);
  const lat = late.map((d) => d.latency).sort((a, b) => a - b);
  return { fps: late.length / (seconds / 2), p50: lat[lat.length >> 1], worst: lat[lat.length - 1], most };
}

check("over a 50 ms round trip a 10 ms kernel keeps up with a 30 fps camera (one in flight could not)", () => {
  const r = simulate(30, 50, 10);
  equal(r.fps >= 28, true, `fps ${r.fps} near the camera's 30, against ${1000 / 60} for one frame per round trip`);
  equal(r.p50 <= 50 + 10 + 34, true, `p50 latency ${r.p50} within round trip + kernel + one camera frame`);
  equal(r.most <= 4, true, "never more than the window");
});

check("a kernel slower than the camera sets the rate; frames do not pile up (latency bounded)", () => {
  const r = simulate(30, 50, 40);
  equal(r.fps >= 22, true, `fps ${r.fps} near 1 / kernel time (25)`);
  equal(r.worst <= 50 + 3 * 40 + 34, true, `worst latency ${r.worst} bounded`);
  const slow = simulate(30, 50, 200, 40);
  equal(slow.fps >= 4.5, true, `fps ${slow.fps} near 5`);
  equal(slow.worst <= 50 + 3 * 200 + 34, true, `worst latency ${slow.worst}: at most a few kernel times queued`);
});

check("on a local kernel one frame in flight is all it takes", () => {
  const r = simulate(30, 1, 20);
  equal(r.fps >= 28, true, `fps ${r.fps}`);
  equal(r.most <= 2, true, `at most ${r.most} in flight`);
});
