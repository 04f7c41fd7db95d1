/** Prints a result as JSON (`--json`) or as readable lines. */
export function output(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : human + '\n');
}
