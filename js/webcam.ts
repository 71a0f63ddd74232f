// The camera: ask for it (getUserMedia), turn its failures into messages that say what to do,
// stop every track (the camera light goes off), receive its frames as they are captured
// (TrackFrames, where the browser has MediaStreamTrackProcessor), and grab the centre square of a
// frame at the model's input size as RGBA bytes.

/** A video-only stream from the user's camera; rejects with a `CameraError` whose text names the fix. */
export async function openCamera(): Promise<MediaStream> {
  if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
    throw new CameraError(
      "insecure",
      "The camera needs a secure page: open Jupyter at https:// or on localhost, then press Start again",
    );
  }
  try {
    return await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } },
    });
  } catch (err) {
    throw new CameraError((err as Error)?.name ?? "Error", cameraErrorMessage(err));
  }
}

/** A camera failure; `kind` is the DOMException name (or "insecure"). */
export class CameraError extends Error {
  constructor(readonly kind: string, message: string) {
    super(message);
    this.name = "CameraError";
  }
}

/** What to tell the user for a getUserMedia failure. */
export function cameraErrorMessage(err: unknown): string {
  const name = (err as { name?: string } | null)?.name ?? "";
  const detail = (err as { message?: string } | null)?.message ?? String(err);
  switch (name) {
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return "Camera permission denied: allow camera access for this page and press Start again";
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "No camera found: connect a camera (or enable it in the system settings) and press Start again";
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "The camera is busy or failed to start: close other apps or tabs using it and press Start again";
    default:
      return `Could not start the camera (${name || "error"}: ${detail}); press Start again`;
  }
}

/** Stop every track of `stream` (idempotent); the camera light goes off. */
export function stopStream(stream: MediaStream | null | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/** The centred square of a `width` × `height` picture: `[x, y, side]` (the kernel crops the same way). */
export function centreSquare(width: number, height: number): [number, number, number] {
  const side = Math.min(width, height);
  return [Math.floor((width - side) / 2), Math.floor((height - side) / 2), side];
}

/**
 * Draws camera frames into a `size` × `size` canvas (their centre square) and hands the picture
 * over as raw RGBA bytes or as a JPEG (about 15 times fewer bytes to send at 224 px).
 */
export class FrameGrabber {
  private canvas = document.createElement("canvas");
  private g: CanvasRenderingContext2D;

  constructor(readonly size: number) {
    this.canvas.width = this.canvas.height = size;
    // CPU-backed: getImageData every frame would otherwise read back from the GPU each time.
    this.g = this.canvas.getContext("2d", { willReadFrequently: true })!;
  }

  /** Draw the centre square of `video`'s current frame; false before the first frame. */
  draw(video: HTMLVideoElement): boolean {
    return this.drawFrom(video, video.videoWidth, video.videoHeight);
  }

  /** Draw the centre square of a camera frame (`VideoFrame`); the caller still owns (and closes) it. */
  drawFrame(frame: VideoFrame): boolean {
    return this.drawFrom(frame, frame.displayWidth, frame.displayHeight);
  }

  /** The picture drawn last, as RGBA bytes. */
  pixels(): ImageData {
    return this.g.getImageData(0, 0, this.size, this.size);
  }

  /** The picture drawn last, as JPEG bytes (the canvas is read at the call; encoding finishes later). */
  jpeg(quality: number): Promise<ArrayBuffer> {
    // Chromium encodes asynchronously: on a busy live page the JPEG is ready ~15 ms after the call
    // (OffscreenCanvas.convertToBlob: ~23 ms), bench_live's frame format lever.
    return new Promise((resolve, reject) =>
      this.canvas.toBlob((blob) => (blob ? blob.arrayBuffer().then(resolve, reject) : reject(new Error("JPEG encoding failed"))),
        "image/jpeg", quality));
  }

  private drawFrom(source: CanvasImageSource, w: number, h: number): boolean {
    if (!w || !h) return false;
    const [x, y, side] = centreSquare(w, h);
    this.g.drawImage(source, x, y, side, side, 0, 0, this.size, this.size);
    return true;
  }
}

/** The part of Chromium's MediaStreamTrackProcessor used here (not in TypeScript's DOM types). */
interface TrackProcessor {
  readable: ReadableStream<VideoFrame>;
}
type TrackProcessorClass = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => TrackProcessor;

/** Whether this browser hands out camera frames as they are captured (Chromium, Safari 18 in workers only). */
export function hasTrackFrames(): boolean {
  return typeof (globalThis as { MediaStreamTrackProcessor?: unknown }).MediaStreamTrackProcessor === "function";
}

/**
 * The camera's frames as they are captured, read from the track itself rather than from a
 * playing `<video>` (whose frames reach the page only at its next rendering step, ~one display
 * frame later). Only the newest frame is held; an older one is closed when a newer one comes, so
 * the camera's frame pool never runs dry. `onFrame(at)` is called for each, with its arrival time
 * (performance.now()).
 */
export class TrackFrames {
  /** Frames received so far. */
  count = 0;
  /** performance.now() when the newest frame arrived. */
  at = 0;
  private latest: VideoFrame | null = null;
  private reader: ReadableStreamDefaultReader<VideoFrame>;
  private closed = false;

  constructor(track: MediaStreamTrack, private onFrame: (at: number) => void) {
    const Processor = (globalThis as unknown as { MediaStreamTrackProcessor: TrackProcessorClass }).MediaStreamTrackProcessor;
    this.reader = new Processor({ track, maxBufferSize: 1 }).readable.getReader();
    void this.pump();
  }

  /** The newest frame not yet taken, now the caller's to close; null when none came since the last take. */
  take(): VideoFrame | null {
    const frame = this.latest;
    this.latest = null;
    return frame;
  }

  /** Stop reading and close the held frame. */
  close(): void {
    this.closed = true;
    this.latest?.close();
    this.latest = null;
    this.reader.cancel().catch(() => undefined);
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done || !value) return;
        if (this.closed) {
          value.close();
          return;
        }
        this.latest?.close();
        this.latest = value;
        this.at = performance.now();
        this.count++;
        this.onFrame(this.at);
      }
    } catch {
      // the track ended or the reader was cancelled: nothing more to read
    }
  }
}
