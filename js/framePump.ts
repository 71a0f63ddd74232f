// Flow control for the live stream: a bounded window of frames in flight, answers drawn in order.
//
// Frames carry increasing ids. The kernel answers them in the order sent and may skip one (a
// frame replaced by a newer one before it started gets no answer), so an answer to frame k
// settles every older frame still in flight: those will never be answered. Answers are drawn
// one at a time, oldest first; an answer that arrives while another is being drawn waits, and a
// newer arrival replaces it (newest wins, the stale one is dropped undrawn). An answer to a frame
// already settled (timed out, or older than one answered) is dropped too.
//
// The window starts at one frame and adapts, as TCP Vegas does, to the round trip it measures
// (send to answer). Its base is the smallest of the last round trips of frames sent while nothing
// else was in flight (no queue ahead of them). With `w` frames in flight and a round trip `rtt`, about w * (rtt - base) / rtt frames wait in the kernel's queue. The window grows by
// one while frames had to wait for room and fewer than `growBelow` frames queue, and shrinks by
// one when more than `shrinkAbove` queue or a round trip exceeds `latencyCapMs`. Only frames sent
// after the last change judge the new window. So with a kernel faster than the network the rate
// approaches min(camera rate, 1 / kernel time), while the latency stays within about one kernel
// time of the round trip.

/** One frame sent to the kernel. */
export interface Flight {
  id: number;
  /** performance.now() of the camera frame (its presentation time when known). */
  t: number;
  sentAt: number;
  mode: string;
  /** Set once its answer arrived (drawing may still be under way). */
  answered: boolean;
  /** Send-to-answer time in ms, once answered. */
  rttMs?: number;
  /** The kernel's own time for the frame (ms), when it said. */
  kernelMs?: number;
  /** Sent while no other frame was in flight: its round trip has no queue in it. */
  alone: boolean;
}

/** An answer to draw now: its frame and whatever the caller passed with it. */
export interface Answer<P> {
  flight: Flight;
  payload: P;
}

export interface PumpOptions {
  /** Most frames in flight at once. */
  maxWindow?: number;
  /** A frame without an answer after this long is given up on (a lost reply must not stall). */
  timeoutMs?: number;
  /** The window shrinks whenever a round trip exceeds this (ms). */
  latencyCapMs?: number;
  /** The window grows (when full) while fewer frames than this wait in the kernel. */
  growBelow?: number;
  /** The window shrinks when more frames than this wait in the kernel. */
  shrinkAbove?: number;
  /** Round trips of lone frames remembered for the base (smallest recent) round trip. */
  baseSamples?: number;
}

export class FramePump<P = unknown> {
  readonly maxWindow: number;
  readonly timeoutMs: number;
  readonly latencyCapMs: number;
  readonly growBelow: number;
  readonly shrinkAbove: number;
  /** Frames allowed in flight now (1..maxWindow). */
  window = 1;
  /** Time of the last answer (or of the start), to notice a kernel that stopped answering. */
  lastAnswer = 0;
  /** Id of the last frame drawn: the one the user sees (0 before the first). */
  drawnId = 0;
  /** Answers dropped undrawn (stale) and frames never answered (skipped by the kernel or timed out). */
  stale = 0;
  lost = 0;
  private nextId = 1;
  private flights: Flight[] = []; // sent, unanswered, oldest first
  private adaptFrom = 0; // only frames sent after the window last changed tell about the new window
  private drawing: Flight | null = null;
  private pending: Answer<P> | null = null;
  private rtts: number[] = [];
  private blocked = false; // a frame waited for room since the window last changed
  private readonly baseSamples: number;

  constructor(options: PumpOptions = {}) {
    this.maxWindow = Math.max(1, options.maxWindow ?? 4);
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.latencyCapMs = options.latencyCapMs ?? 500;
    this.growBelow = options.growBelow ?? 0.25;
    this.shrinkAbove = options.shrinkAbove ?? 1.0;
    this.baseSamples = options.baseSamples ?? 10;
  }

  /** Frames sent and not yet answered. */
  get inFlight(): number {
    return this.flights.length;
  }

  /** The smallest recent round trip in ms (null before the first answer). */
  get baseRttMs(): number | null {
    return this.rtts.length ? Math.min(...this.rtts) : null;
  }

  /** True when a frame may be sent at time `now` (room in the window, after expiring lost frames). */
  ready(now: number): boolean {
    while (this.flights.length && now - this.flights[0].sentAt >= this.timeoutMs) {
      this.flights.shift();
      this.lost++;
      this.window = 1; // a lost answer: start over carefully
      this.adaptFrom = this.nextId;
    }
    const room = this.flights.length < this.window;
    if (!room) this.blocked = true;
    return room;
  }

  /** Record a frame sent at `now` for camera time `t`; returns it (its id goes on the wire). */
  send(now: number, t: number, mode: string): Flight {
    const flight: Flight = { id: this.nextId++, t, sentAt: now, mode, answered: false, alone: !this.flights.length };
    this.flights.push(flight);
    return flight;
  }

  /**
   * The kernel answered frame `id` at `now` (taking `kernelMs`). Returns the answer to draw now,
   * or null when it is stale or unknown (dropped) or waits for the drawing under way (then
   * {@link done} hands it over, unless a newer answer replaced it first).
   */
  answer(id: unknown, now: number, payload: P, kernelMs?: number): Answer<P> | null {
    const at = this.flights.findIndex((f) => f.id === id);
    if (at < 0) {
      this.stale++;
      return null;
    }
    this.lost += at; // older frames the kernel skipped: they will never be answered
    const flight = this.flights[at];
    this.flights.splice(0, at + 1);
    flight.answered = true;
    flight.rttMs = now - flight.sentAt;
    if (kernelMs !== undefined && Number.isFinite(kernelMs)) flight.kernelMs = kernelMs;
    this.lastAnswer = now;
    if (flight.alone || !this.rtts.length) {
      this.rtts.push(flight.rttMs);
      if (this.rtts.length > this.baseSamples) this.rtts.shift();
    }
    this.adapt(flight);
    const got = { flight, payload };
    if (this.drawing) {
      if (this.pending) this.stale++;
      this.pending = got;
      return null;
    }
    this.drawing = flight;
    return got;
  }

  /** The answer to `flight` is drawn (the user sees it); returns the next answer to draw, if one waits. */
  done(flight: Flight): Answer<P> | null {
    if (this.drawing !== flight) return null;
    this.drawing = null;
    this.drawnId = flight.id;
    const next = this.pending;
    this.pending = null;
    if (next) this.drawing = next.flight;
    return next;
  }

  /** Forget every frame in flight and every answer waiting (the stream stopped or resumed). */
  reset(now: number): void {
    this.flights = [];
    this.adaptFrom = this.nextId;
    this.drawing = null;
    this.pending = null;
    this.lastAnswer = now;
    this.window = 1;
    this.blocked = false;
    this.rtts = [];
  }

  /** Milliseconds until the oldest frame in flight times out (0 when nothing waits). */
  waitLeft(now: number): number {
    return this.flights.length ? Math.max(0, this.timeoutMs - (now - this.flights[0].sentAt)) : 0;
  }

  private adapt(flight: Flight): void {
    if (flight.id < this.adaptFrom) return; // sent under the previous window
    const rtt = flight.rttMs!;
    const queued = (this.window * (rtt - this.baseRttMs!)) / Math.max(rtt, 1e-6);
    if (rtt > this.latencyCapMs || queued > this.shrinkAbove) {
      if (this.window > 1) this.change(-1);
    } else if (this.blocked && queued < this.growBelow && this.window < this.maxWindow) {
      this.change(+1);
    }
  }

  private change(by: number): void {
    this.window += by;
    this.blocked = false;
    this.adaptFrom = this.nextId;
  }
}
