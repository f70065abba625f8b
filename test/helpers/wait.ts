/** Resolves after `ms` milliseconds of real (or the test's fake) timers. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `cond` every `step` ms until it holds or `ms` have passed (the caller asserts afterwards). */
export async function until(cond: () => boolean, ms = 8000, step = 5): Promise<void> {
  const end = Date.now() + ms
  while (!cond() && Date.now() < end) await sleep(step)
}
