import { FramePump } from "../framePump";
import { LiveMeter } from "../liveHud";
import { cameraErrorMessage, centreSquare } from "../webcam";
import { check, close, equal } from "./check";

check("one frame in flight: the next goes only after the answer was drawn", () => {
  const pump = new FramePump(3000);
  equal(pump.ready(0), true, "ready at start");
  const a = pump.send(0, 0, "maps");
  equal(pump.ready(10), false, "busy while in flight");
  equal(pump.answer(a.id + 1, 20), null, "an answer to another frame is ignored");
  const got = pump.answer(a.id, 30);
  equal(got?.id, a.id, "its own answer");
  equal(pump.ready(31), false, "still busy while drawing");
  equal(pump.answer(a.id, 32), null, "a duplicate answer is ignored");
  pump.done(a);
  equal(pump.ready(40), true, "ready once drawn");
  equal(pump.send(40, 40, "maps").id, a.id + 1, "ids increase");
});

check("a lost answer times out and a late one is then ignored", () => {
  const pump = new FramePump(3000);
  const a = pump.send(0, 0, "maps");
  equal(pump.waitLeft(1000), 2000, "time left");
  equal(pump.ready(2999), false, "not yet");
  equal(pump.ready(3000), true, "timed out");
  const b = pump.send(3000, 3000, "maps");
  equal(pump.answer(a.id, 3100), null, "late answer to the lost frame");
  equal(pump.answer(b.id, 3200)?.id, b.id, "the current frame's answer");
});

check("meter: fps over the window, median latency, stall gives 0 fps", () => {
  const m = new LiveMeter(2000, 5);
  equal(m.fps(0), 0, "no frames");
  equal(m.latencyP50(), null, "no latency yet");
  for (let i = 0; i <= 30; i++) m.record(i * 40, 10 + (i % 5));
  close(m.fps(1200), 25, 1e-9, "25 fps");
  equal(m.frames, 31, "frame count");
  equal(m.latencyP50(), 12, "median of the last 5 (10..14)");
  for (let i = 31; i <= 200; i++) m.record(i * 40, 50);
  close(m.fps(8000), 25, 1e-9, "window slides");
  equal(m.fps(8000 + 2500), 0, "stalled stream");
  m.reset();
  equal([m.frames, m.fps(0), m.latencyP50()], [0, 0, null], "reset");
});

check("centre square matches the kernel's centre crop", () => {
  equal(centreSquare(640, 480), [80, 0, 480], "landscape");
  equal(centreSquare(480, 640), [0, 80, 480], "portrait");
  equal(centreSquare(224, 224), [0, 0, 224], "square");
  equal(centreSquare(641, 480), [80, 0, 480], "odd width rounds down like the kernel");
});

check("camera errors say what to do", () => {
  const msg = (name: string) => cameraErrorMessage({ name, message: "x" });
  equal(msg("NotAllowedError"), "Camera permission denied: allow camera access for this page and press Start again", "denied");
  equal(/No camera found/.test(msg("NotFoundError")), true, "none");
  equal(/busy/.test(msg("NotReadableError")), true, "busy");
  equal(/Could not start the camera \(TypeError: x\)/.test(msg("TypeError")), true, "other");
});
