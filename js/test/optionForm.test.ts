import { numberValue, shownFor, type OptionSpec } from "../optionForm";
import { check, equal } from "./check";

const steps: OptionSpec = { key: "steps", kind: "int", default: 10, label: "steps", when: "", min: 1, max: 200, step: 1 };
const carry: OptionSpec = {
  key: "carry", kind: "float", default: 0.7, label: "carry-over", when: "live_mode=dream", min: 0, max: 0.95, step: 0.05,
};

check("a number control's text is rounded for whole numbers and clamped to the declared range", () => {
  equal(numberValue(steps, "12.6", 10), 13, "rounded");
  equal(numberValue(steps, "999", 10), 200, "clamped above");
  equal(numberValue(steps, "-3", 10), 1, "clamped below");
  equal(numberValue(carry, "0.33", 0.7), 0.33, "fractions kept");
  equal(numberValue(carry, "1", 0.7), 0.95, "the shown range's top");
});

check("an empty or non-numeric text keeps the previous value", () => {
  equal(numberValue(steps, "", 10), 10, "empty");
  equal(numberValue(steps, "abc", 10), 10, "not a number");
});

check("a control shows while its condition holds", () => {
  equal(shownFor(steps, () => "maps"), true, "no condition");
  equal(shownFor(carry, (t) => (t === "live_mode" ? "dream" : "")), true, "dream mode");
  equal(shownFor(carry, (t) => (t === "live_mode" ? "maps" : "")), false, "maps mode");
});
