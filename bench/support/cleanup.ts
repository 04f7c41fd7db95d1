/**
 * Clean-up that must also run when a benchmark is interrupted (Ctrl-C, a closed pipe): stop the
 * server child, drop temporary databases, remove temporary directories.
 */
const pending = new Set<() => Promise<void> | void>();
let installed = false;
let stopping = false;

async function runAll(): Promise<void> {
  for (const fn of [...pending].reverse()) {
    pending.delete(fn);
    try {
      await fn();
    } catch {
      // best effort: keep cleaning the rest
    }
  }
}

/** Registers `fn` to run on SIGINT/SIGTERM; returns a function that runs it now and unregisters it. */
export function onInterrupt(fn: () => Promise<void> | void): () => Promise<void> {
  if (!installed) {
    installed = true;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\n${signal}: cleaning up...\n`);
      void runAll().finally(() => process.exit(130));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    // `npm run bench | head` closes stdout early: finish cleaning instead of dying on EPIPE.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') stop('EPIPE');
    });
  }
  pending.add(fn);
  return async () => {
    if (!pending.delete(fn)) return;
    await fn();
  };
}

/** True once SIGINT/SIGTERM (or a closed stdout) started the clean-up: later errors are its echo. */
export function interrupted(): boolean {
  return stopping;
}
