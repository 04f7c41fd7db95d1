import type { Command } from 'commander';

// PLACEHOLDER: `siyu import` is being written (issue #2).
export function registerImportCommand(_program: Command): void {}
