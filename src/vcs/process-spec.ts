/** A program to run for a client: a fixed executable, an argument array, an environment. */
export interface ProcessSpec {
  readonly executable: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
}
