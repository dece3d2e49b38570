/**
 * Runs async operations one at a time, in order. A Modbus line answers one request at a time
 * (Modbus over Serial Line V1.02 §2.1; mappers-go holds a mutex per client, `driver/client.go`),
 * and the runner's reads and writes share one driver.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after everything queued before it has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything queued so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
