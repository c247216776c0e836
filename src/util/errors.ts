// What a caught value says, for logs and messages (anything can be thrown).

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The errno code ("ENOENT") of a failed system call, else `fallback` (default: the message). */
export function errorCode(err: unknown, fallback?: string): string {
  return (err as NodeJS.ErrnoException | null)?.code ?? fallback ?? errorMessage(err);
}
