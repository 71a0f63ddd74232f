import { LiveMeter } from "../liveHud";
import { cameraErrorMessage, centreSquare } from "../webcam";
import { check, close, equal } from "./check";

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

check("meter: the latency parts are medians over the recent frames, per part", () => {
  const m = new LiveMeter(2000, 3);
  equal(m.partsP50(), null, "no parts yet");
  m.record(0, 100); // a frame without parts (fed from Python) leaves them alone
  equal(m.partsP50(), null, "still none");
  m.record(40, 100, { wait: 1, trip: 60, kernel: 30, draw: 9 });
  m.record(80, 110, { wait: 5, trip: 50, kernel: 40, draw: 15 });
  m.record(120, 90, { wait: 3, trip: 70, kernel: 10, draw: 7 });
  equal(m.partsP50(), { wait: 3, trip: 60, kernel: 30, draw: 9 }, "each part's own median");
  m.record(160, 80, { wait: 0, trip: 40, kernel: 20, draw: 20 });
  equal(m.partsP50(), { wait: 3, trip: 50, kernel: 20, draw: 15 }, "the oldest frame left the window");
  m.reset();
  equal(m.partsP50(), null, "reset");
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
