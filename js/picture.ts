// Pictures made by background jobs (maximization, DeepDream): PNG bytes shown in an <img>
// through Blob URLs, the filter that drops streamed progress of superseded jobs, and a
// "Download PNG" link made in the browser from the bytes.
import { h } from "./dom";
import { asBytes } from "./protocol";

/** Statuses after which a job sends nothing more. */
export const FINAL_STATUSES = new Set(["done", "cancelled", "error"]);

/** The fields shared by the `maximize_state` and `dream_state` traits. */
export interface JobState {
  job?: number;
  status?: string;
}

/** A Blob URL for PNG bytes ("" for none). The caller revokes it. */
export function pngUrl(bytes: unknown): string {
  const data = asBytes(bytes);
  return data.byteLength ? URL.createObjectURL(new Blob([data as Uint8Array<ArrayBuffer>], { type: "image/png" })) : "";
}

/** An <img> fed with PNG bytes; each picture gets its own Blob URL and the previous one is revoked. */
export class PngView {
  private url = "";
  private last: unknown = null;

  constructor(readonly img: HTMLImageElement) {}

  /** Show `bytes` (DataView, ArrayBuffer, Uint8Array); false when it is the picture already shown. */
  show(bytes: unknown): boolean {
    if (bytes === this.last) return false;
    this.last = bytes;
    this.setUrl(pngUrl(bytes));
    return true;
  }

  /** Show a URL owned by someone else (e.g. the input photo). */
  showUrl(url: string): void {
    this.last = null;
    this.setUrl("");
    if (url) this.img.src = url;
  }

  private setUrl(url: string): void {
    const old = this.url;
    this.url = url;
    if (url) this.img.src = url;
    else if (!old) return;
    else this.img.removeAttribute("src");
    if (old) URL.revokeObjectURL(old);
  }

  dispose(): void {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = "";
  }
}

/**
 * Decides which streamed progress messages to show. Jobs have increasing ids; a message is
 * shown only if its job is the newest one seen and has not finished (a late message of a
 * cancelled job must not paint over the newer job's picture). A final state with job 0
 * (a result from the kernel's cache) closes every job seen so far.
 */
export class JobFilter {
  private latest = 0;
  private closed = 0;

  /** Note the state trait's `{job, status}`. */
  state(state: JobState | null | undefined): void {
    const job = state?.job ?? 0;
    if (job > this.latest) this.latest = job;
    if (FINAL_STATUSES.has(state?.status ?? "")) this.closed = Math.max(this.closed, this.latest);
  }

  /** Whether a progress message of `job` should be shown (and remember it as the newest). */
  accept(job: number): boolean {
    if (!(job >= this.latest && job > this.closed)) return false;
    this.latest = job;
    return true;
  }
}

/** A "Download PNG" link (data-testid=`testid`) for the latest final picture; hidden without one. */
export class DownloadLink {
  readonly el: HTMLAnchorElement;
  private url = "";
  private last: unknown = null;

  constructor(testid: string, label = "Download PNG") {
    this.el = h("a", { class: "cnnx-button cnnx-download", "data-testid": testid, hidden: true }, label);
  }

  /** Point the link at `bytes`, saved as `name`; nothing from here reaches the kernel. */
  set(bytes: unknown, name: string): void {
    if (bytes !== this.last) {
      this.last = bytes;
      if (this.url) URL.revokeObjectURL(this.url);
      this.url = pngUrl(bytes);
    }
    this.el.hidden = !this.url;
    if (this.url) this.el.href = this.url;
    else this.el.removeAttribute("href");
    this.el.download = name.replace(/[^\w.-]+/g, "_");
  }

  dispose(): void {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = "";
  }
}
