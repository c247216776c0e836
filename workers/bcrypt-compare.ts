// The piscina entry point for password checks (src/web/bcrypt-worker.ts): bcrypt is CPU-bound
// and bcryptjs' async compare only yields every 100 ms, so it runs here, off the main thread.
import bcrypt from 'bcryptjs';

export interface CompareTask {
  password: string;
  hash: string;
}

export default function compare(task: CompareTask): boolean {
  return bcrypt.compareSync(task.password, task.hash);
}
