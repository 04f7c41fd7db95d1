import type { Command } from 'commander';

// PLACEHOLDER: `siyu bench` is being written (issue #2).
export function registerBenchCommand(_program: Command): void {}
