// The database errors a command reports by name (cli/output.ts). Kept apart from db/open so the
// CLI's main thread can recognise them without loading typeorm: `driftline report` only needs
// typeorm in its worker thread (~30 MiB of RSS less at a report's peak).
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly target: string,
    cause: string,
  ) {
    super(`cannot reach the database at ${target}: ${cause}`);
    this.name = 'DatabaseUnavailableError';
  }
}
