// How bulk bytes travel (cnnwidget/widget/transport.py): binary buffers, or base64 in the
// message content where the widget manager drops buffers (Colab). Each view wraps its model:
// the panels call send/on as before and never see which encoding is in use. On render the
// view probes once: a `transport` message carrying TRANSPORT_PROBE as a buffer, answered by the
// kernel with the same; if the buffer is lost either way, both sides switch to base64.
// For tests, `globalThis.cnnwidgetDropBuffers = true` (set before the widget renders) makes this
// view behave as Colab's manager does: buffers vanish both ways, and Bytes traits that came
// as buffers read as empty.
import { B64, TRANSPORT, TRANSPORT_PROBE } from "./protocol";
import type { WidgetModel } from "./types";

export type Encoding = "buffers" | "base64";

/** `bytes` as a base64 string. */
export function toBase64(bytes: ArrayBuffer | ArrayBufferView): string {
  const u8 = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text = "";
  for (let i = 0; i < u8.length; i += 0x8000) text += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(text);
}

/** A base64 string's bytes, as a DataView (the form buffers arrive in). */
export function fromBase64(text: string): DataView {
  const raw = atob(text);
  const u8 = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) u8[i] = raw.charCodeAt(i);
  return new DataView(u8.buffer);
}

type Callback = (...args: any[]) => void;

/** The encoding of each model (shared by its views), "buffers" until a probe says otherwise. */
const encodings = new WeakMap<object, Encoding>();

/** Whether the page asked to lose buffers as Colab does (tests). */
function dropping(): boolean {
  return (globalThis as { cnnwidgetDropBuffers?: boolean }).cnnwidgetDropBuffers === true;
}

/** A model that sends and receives bulk bytes in the encoding that works, and its probe. */
export class Transport {
  readonly model: WidgetModel;
  private wrapped = new Map<Callback, Callback>();
  private listeners: ((encoding: Encoding) => void)[] = [];

  constructor(private inner: WidgetModel) {
    const self = this;
    this.model = {
      get: (name) => {
        const value = inner.get(name);
        // Colab: a Bytes trait sent as a buffer never arrives.
        if (dropping() && (value instanceof DataView || value instanceof ArrayBuffer)) return new Uint8Array(0) as never;
        return value;
      },
      set: (name, value) => inner.set(name, value),
      save_changes: () => inner.save_changes(),
      on(event, callback) {
        if (event !== "msg:custom") return inner.on(event, callback);
        const wrapper = (content: any, buffers?: unknown[]) => callback(content, self.incoming(content, buffers));
        self.wrapped.set(callback, wrapper);
        inner.on(event, wrapper);
      },
      off(event, callback) {
        const wrapper = event === "msg:custom" ? self.wrapped.get(callback) : undefined;
        if (wrapper) self.wrapped.delete(callback);
        inner.off(event, wrapper ?? callback);
      },
      send: (content, callbacks, buffers) => this.send(content as Record<string, unknown>, callbacks, buffers),
    };
  }

  get encoding(): Encoding {
    return encodings.get(this.inner) ?? "buffers";
  }

  /** Call `listener` with the encoding now and whenever it changes. */
  onEncoding(listener: (encoding: Encoding) => void): void {
    this.listeners.push(listener);
    listener(this.encoding);
  }

  /** Ask the kernel whether buffers arrive, both ways; switch to base64 if not. */
  probe(): void {
    this.send({ type: TRANSPORT, probe: true }, undefined, [TRANSPORT_PROBE.slice().buffer]);
  }

  private send(content: Record<string, unknown>, callbacks?: unknown, buffers?: (ArrayBuffer | ArrayBufferView)[]): void {
    if (buffers?.length && this.encoding === "base64") {
      this.inner.send({ ...content, [B64]: buffers.map(toBase64) }, callbacks);
    } else if (buffers?.length && dropping()) {
      this.inner.send(content, callbacks); // what Colab's manager does
    } else {
      this.inner.send(content, callbacks, buffers);
    }
  }

  /** The buffers of an incoming message, from its content's base64 when there. */
  private incoming(content: any, buffers?: unknown[]): unknown[] {
    if (content && Array.isArray(content[B64])) return (content[B64] as string[]).map(fromBase64);
    if (dropping()) buffers = [];
    if (content?.type === TRANSPORT && content.probe === undefined) this.answer(content, buffers ?? []);
    return buffers ?? [];
  }

  private answer(content: { received?: boolean }, buffers: unknown[]): void {
    const bytes = buffers[0] instanceof DataView ? new Uint8Array(buffers[0].buffer, buffers[0].byteOffset, buffers[0].byteLength) : null;
    const arrived = !!bytes && bytes.length === TRANSPORT_PROBE.length && bytes.every((b, i) => b === TRANSPORT_PROBE[i]);
    if (arrived && content.received) return; // buffers work both ways
    if (this.encoding !== "base64") {
      encodings.set(this.inner, "base64");
      for (const listener of this.listeners) listener("base64");
    }
    this.inner.send({ type: TRANSPORT, encoding: "base64" });
  }
}
