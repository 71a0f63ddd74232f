// Backpressure for the live stream: at most one frame in flight. A frame is sent, and the next
// one only after the kernel's `live_result` for it was drawn, or after `timeoutMs` without an
// answer (a lost reply must not stall the stream). Answers to frames given up on are ignored.

/** One frame sent to the kernel. */
export interface Flight {
  id: number;
  /** performance.now() of the camera frame (its presentation time when known). */
  t: number;
  sentAt: number;
  mode: string;
  /** Set once its answer arrived (drawing may still be under way). */
  answered: boolean;
}

export class FramePump {
  private nextId = 1;
  private flight: Flight | null = null;
  /** Time of the last answer (or of the start), to notice a kernel that stopped answering. */
  lastAnswer = 0;

  constructor(readonly timeoutMs = 3000) {}

  /** True when a frame may be sent now at time `now` (nothing in flight, or it timed out). */
  ready(now: number): boolean {
    if (this.flight && !this.flight.answered && now - this.flight.sentAt >= this.timeoutMs) this.flight = null;
    return this.flight === null;
  }

  /** Record a frame sent at `now` for camera time `t`; returns it (its id goes on the wire). */
  send(now: number, t: number, mode: string): Flight {
    this.flight = { id: this.nextId++, t, sentAt: now, mode, answered: false };
    return this.flight;
  }

  /** The frame answered by `id`, or null for a stale or unknown answer (then ignore it). */
  answer(id: unknown, now: number): Flight | null {
    const f = this.flight;
    if (!f || f.answered || f.id !== id) return null;
    f.answered = true;
    this.lastAnswer = now;
    return f;
  }

  /** The answered frame has been drawn: the next may go. */
  done(flight: Flight): void {
    if (this.flight === flight) this.flight = null;
  }

  /** Forget any frame in flight (the stream stopped). */
  reset(now: number): void {
    this.flight = null;
    this.lastAnswer = now;
  }

  /** Milliseconds until the frame in flight times out (0 when nothing waits). */
  waitLeft(now: number): number {
    return this.flight && !this.flight.answered ? Math.max(0, this.timeoutMs - (now - this.flight.sentAt)) : 0;
  }
}
