// A FIFO that something writes to after `afterMs`: code that blocks reading it comes back then
// (with "x\n"), so a test against a hanging reader fails on its time instead of never ending.
import { execFileSync, spawn } from 'node:child_process';

export function fifoWithLateWriter(file: string, afterMs = 2000): { stop(): void } {
  execFileSync('mkfifo', [file]);
  const writer = spawn('sh', ['-c', `sleep ${afterMs / 1000}; echo x > "$1"`, 'sh', file], { stdio: 'ignore' });
  return { stop: () => void writer.kill('SIGKILL') };
}
