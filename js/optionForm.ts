// One form for every option panel (maximization options, DeepDream, live options). The
// controls are drawn from the kernel's declarations (the `option_specs` trait, made from
// cnnwidget/widget/options.py): kind, range, step, label, and when to show them. A control's
// value is clamped to that range, so a control can never make the kernel refuse the dict.
import { Disposer, h, listen, setOptions } from "./dom";
import type { Traits, WidgetModel } from "./types";

/** One option as the kernel declares it (Option.describe in cnnwidget/widget/options.py). */
export interface OptionSpec {
  key: string;
  kind: "int" | "float" | "choice" | "flag";
  default: unknown;
  label: string;
  /** "trait=value": the control shows only while that trait has that value ("" always). */
  when: string;
  min?: number;
  max?: number;
  step?: number;
  choices?: Record<string, string>;
}

/** The option panels, as named in `option_specs`, and the trait each one edits. */
export const OPTION_TRAITS = {
  maximize: "maximize_options", dream: "dream_options", live: "live_options", adversarial: "adversarial_options",
} as const;
export type OptionPanel = keyof typeof OPTION_TRAITS;

/**
 * The value a number control's `text` gives for `spec`: rounded for whole numbers, clamped to
 * the range; `previous` when the text is empty or not a number.
 */
export function numberValue(spec: OptionSpec, text: string, previous: unknown): unknown {
  const raw = Number(text);
  if (text.trim() === "" || !Number.isFinite(raw)) return previous;
  const value = spec.kind === "int" ? Math.round(raw) : raw;
  return Math.min(spec.max ?? Infinity, Math.max(spec.min ?? -Infinity, value));
}

/** Whether `spec` shows for the current traits (its `when` condition holds). */
export function shownFor(spec: OptionSpec, get: (trait: string) => unknown): boolean {
  if (!spec.when) return true;
  const [trait, value] = spec.when.split("=");
  return String(get(trait)) === value;
}

/** How a panel wants its controls drawn. */
export interface FormLook {
  /** data-testid of the control of `key`. */
  testid(key: string): string;
  /** Fractional numbers as a slider ("range") or a number box ("number"). */
  floats: "range" | "number";
}

/** The controls of one panel's options, bound to its trait. */
export class OptionForm {
  /** The labelled field of each option, by key, in declaration order (filled by `build`). */
  fields: Record<string, HTMLElement> = {};
  specs: OptionSpec[] = [];
  private controls: Record<string, HTMLInputElement | HTMLSelectElement> = {};
  private off = new Disposer();
  private built = "";

  constructor(
    private model: WidgetModel,
    private panel: OptionPanel,
    private look: FormLook,
    private onChange: () => void,
  ) {}

  /** (Re)draw the controls when the declarations changed; true when it drew them. */
  build(): boolean {
    const specs: OptionSpec[] = (this.model.get("option_specs") ?? {})[this.panel] ?? [];
    const key = JSON.stringify(specs);
    if (key === this.built) return false;
    this.built = key;
    this.off.run();
    this.specs = specs;
    this.fields = {};
    this.controls = {};
    for (const spec of specs) {
      const control = this.control(spec);
      this.controls[spec.key] = control;
      this.fields[spec.key] = spec.kind === "flag"
        ? h("label", { class: "cnnx-opt cnnx-flag" }, control, spec.label)
        : h("label", { class: "cnnx-opt" }, h("span", { class: "cnnx-muted" }, spec.label), control);
      this.off.add(listen(control, "change", this.onChange));
    }
    this.read();
    return true;
  }

  private control(spec: OptionSpec): HTMLInputElement | HTMLSelectElement {
    const testid = this.look.testid(spec.key);
    if (spec.kind === "choice") {
      const select = h("select", { class: "cnnx-select", "data-testid": testid, "aria-label": spec.label });
      setOptions(select, Object.keys(spec.choices ?? {}), spec.choices ?? {});
      return select;
    }
    if (spec.kind === "flag") return h("input", { type: "checkbox", "data-testid": testid });
    const slider = spec.kind === "float" && this.look.floats === "range";
    return h("input", {
      type: slider ? "range" : "number", min: spec.min, max: spec.max, step: spec.step,
      class: slider ? "cnnx-range" : "cnnx-select cnnx-num", "data-testid": testid, "aria-label": spec.label,
    });
  }

  /** Show the trait's values in the controls. */
  read(): void {
    const options = this.model.get(OPTION_TRAITS[this.panel]) ?? {};
    for (const spec of this.specs) {
      const control = this.controls[spec.key], value = options[spec.key];
      if (value === undefined) continue;
      if (spec.kind === "flag") (control as HTMLInputElement).checked = !!value;
      else control.value = String(value);
    }
  }

  /** The trait's dict with the controls' values (clamped; each number control shows what was kept). */
  values(): Record<string, unknown> {
    const next: Record<string, unknown> = { ...(this.model.get(OPTION_TRAITS[this.panel]) ?? {}) };
    for (const spec of this.specs) {
      const control = this.controls[spec.key];
      if (spec.kind === "flag") next[spec.key] = (control as HTMLInputElement).checked;
      else if (spec.kind === "choice") next[spec.key] = control.value;
      else {
        next[spec.key] = numberValue(spec, control.value, next[spec.key]);
        control.value = String(next[spec.key]);
      }
    }
    return next;
  }

  /** Write the controls' values to the trait. */
  save(next: Record<string, unknown> = this.values()): void {
    this.model.set(OPTION_TRAITS[this.panel], next);
    this.model.save_changes();
  }

  /** Hide the fields whose `when` condition does not hold now. */
  showForTraits(): void {
    for (const spec of this.specs) this.fields[spec.key].hidden = !shownFor(spec, (t) => this.model.get(t as keyof Traits));
  }

  dispose(): void {
    this.off.run();
  }
}
