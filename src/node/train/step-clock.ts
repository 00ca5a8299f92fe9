/**
 * Milliseconds per step for progress lines, ETAs and report.json: the mean wall time between the last 50 steps (data,
 * session.run and metrics together). The first step of each trainer call also paid for opening its session, so it
 * counts with its session.run time only: call `startCall()` before each runTraining.
 */
export class StepClock {
  private times: number[] = [];
  private last: number | undefined;

  startCall(): void {
    this.last = undefined;
  }

  /** Records one step (`runMs`: its session.run time) and returns the current mean. */
  tick(runMs: number, now = performance.now()): number {
    this.times.push(this.last === undefined ? runMs : now - this.last);
    this.last = now;
    if (this.times.length > 50) this.times = this.times.slice(-50);
    return this.times.reduce((s, t) => s + t, 0) / this.times.length;
  }

  /** The mean, rounded, or undefined before the first step. */
  get msPerStep(): number | undefined {
    return this.times.length > 0 ? Math.round(this.times.reduce((s, t) => s + t, 0) / this.times.length) : undefined;
  }
}
