import { JobFilter } from "../picture";
import { check, equal } from "./check";

check("progress of the newest running job is shown; older jobs' messages are dropped", () => {
  const jobs = new JobFilter();
  jobs.state({ job: 3, status: "running" });
  equal(jobs.accept(3), true, "job 3 streams");
  equal(jobs.accept(2), false, "an older job");
  equal(jobs.accept(4), true, "a newer job (its state not seen yet)");
  equal(jobs.accept(3), false, "job 3 after job 4 streamed");
});

check("nothing of a finished job is shown after its final state", () => {
  const jobs = new JobFilter();
  jobs.state({ job: 5, status: "running" });
  equal(jobs.accept(5), true, "running");
  jobs.state({ job: 5, status: "cancelled" });
  equal(jobs.accept(5), false, "a late message of the cancelled job");
  jobs.state({ job: 6, status: "running" });
  equal(jobs.accept(6), true, "the next job");
});

check("a cached result (job 0) closes every job seen so far", () => {
  const jobs = new JobFilter();
  jobs.state({ job: 8, status: "running" });
  equal(jobs.accept(8), true, "job 8");
  jobs.state({ job: 0, status: "done" });
  equal(jobs.accept(8), false, "job 8 stopping after the cache answered");
  equal(jobs.accept(9), true, "a later job");
});

check("a reloaded view starts from the state trait", () => {
  const jobs = new JobFilter();
  jobs.state({ job: 12, status: "done" });
  equal(jobs.accept(11), false, "older");
  equal(jobs.accept(12), false, "finished");
  jobs.state({});
  equal(jobs.accept(13), true, "newer");
});
