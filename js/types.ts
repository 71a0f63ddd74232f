// Shared types: the slice of anywidget's model API we use, the synced traits, and the panel contract.

/** The anywidget model as seen by a view (subset of @anywidget/types' AnyModel), typed by `Traits`: a trait name that is not one is a compile error. */
export interface WidgetModel {
  get<K extends keyof Traits>(name: K): Traits[K];
  set<K extends keyof Traits>(name: K, value: Traits[K]): void;
  save_changes(): void;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event: string, callback: (...args: any[]) => void): void;
  send(content: object, callbacks?: unknown, buffers?: (ArrayBuffer | ArrayBufferView)[]): void;
}

/** One entry of the `layers` trait. */
export interface LayerInfo {
  name: string;
  type: string;
  shape: [number, number, number];
  stage: string;
}

/** Bytes as the widget manager hands them over (see protocol.asBytes). */
export type TraitBytes = DataView | ArrayBuffer | Uint8Array;

/**
 * Every synced trait of CNNExplorer and its type: the one list of them. index.ts subscribes to
 * each (a trait missing here cannot be listed there: a compile error), and
 * tests/widget/test_front_end_model.py checks that this list is the Python class's.
 */
export interface Traits {
  layers: LayerInfo[];
  layer: string;
  selected: [string, number] | [];
  normalization: string;
  colormap: string;
  sort: string;
  grid: TraitBytes;
  grid_meta: GridMeta;
  image: TraitBytes;
  image_name: string;
  samples: string[];
  error: string;
  input_notes: string[];
  live_mode: string;
  live_options: Record<string, number | string>;
  top_crops: TraitBytes;
  top_crops_meta: { unit?: [string, number]; values?: number[]; tile?: number };
  input_size: number;
  maximize_options: Record<string, number | string | boolean>;
  maximize_state: Record<string, unknown>;
  maximized_image: TraitBytes;
  neuron: [number, number] | [];
  auto_maximize: boolean;
  show_attribution: boolean;
  attribution: TraitBytes;
  attribution_meta: { unit?: [string, number]; method?: string; label?: string; class?: number; height?: number; width?: number };
  attribution_method: string;
  attribution_methods: { name: string; label: string; sane: boolean }[];
  attribution_class: number;
  attribution_state: Record<string, unknown>;
  dream_options: { layers?: string[]; [key: string]: unknown };
  dream_state: Record<string, unknown>;
  dream_image: TraitBytes;
  atlas_units: Record<string, number[]>;
  unit_examples: UnitExamples | Record<string, never>;
  examples_layers: string[];
  predictions: [number, string, number][];
  filters: TraitBytes;
  filters_meta: { layer?: string; count?: number; height?: number; width?: number; colour?: boolean };
  classes: string[];
  adversarial_state: Record<string, unknown>;
  adversarial_image: TraitBytes;
  adversarial_perturbation: TraitBytes;
  adversarial_options: { class?: number; eps?: number; steps?: number; [key: string]: unknown };
  option_specs: Record<"maximize" | "dream" | "live" | "adversarial", import("./optionForm").OptionSpec[]>;
}

/** One dataset example of the `unit_examples` trait (pictures are JPEG data URLs; `map` "" when absent). */
export interface DatasetExample {
  rank: number;
  score: number;
  label: string | null;
  name: string;
  /** The receptive-field box on the original picture: [left, top, right, bottom]. */
  box: number[];
  /** The original picture's [width, height]. */
  size: number[];
  crop: string;
  whole: string;
  map: string;
}

/** The `unit_examples` trait: the selected unit's dataset examples, best first ({} when none). */
export interface UnitExamples {
  layer: string;
  channel: number;
  examples: DatasetExample[];
}

/** The `grid_meta` trait. */
export interface GridMeta {
  layer: string;
  channels: number;
  height: number;
  width: number;
  version: number;
}

/** What every panel can read besides the model: decoded, cached views of the bulk traits. */
export interface Context {
  model: WidgetModel;
  /** The decoded `grid` trait, or null when there is none (or it does not match `grid_meta`). */
  grid(): import("./protocol").Grid | null;
  /** A Blob URL of the input picture (`image` trait), "" when none. Owned by index.ts. */
  imageUrl(): string;
  /** Show a front-end error (a file that cannot be read, ...) in the error banner. */
  reportError(message: string): void;
  /**
   * Show `grid` (a live frame's activations) instead of the `grid` trait, or the trait again
   * with null; panels get an update with "grid" changed. Owned by index.ts.
   */
  showLiveGrid(grid: import("./protocol").Grid | null): void;
}

/**
 * A panel: one element, updated with the set of traits that changed since the last update
 * (all of them on the first call), disposed with the view. New panels plug into index.ts.
 */
export interface Panel {
  el: HTMLElement;
  update(changed: ReadonlySet<string>): void;
  dispose(): void;
}
