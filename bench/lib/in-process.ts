// Runs bench/in-process-child.ts for one subject and returns what it measured.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../../harness/support/spawn-server.ts';
import type { InProcessFigures } from './core.ts';

export interface RenderCounts {
  compiled: number;
  interpreted: number;
  retried: number;
}

export interface InProcessResult {
  figures: InProcessFigures;
  /** lib only: how the templates of every review measured were rendered. */
  renders?: RenderCounts;
}

export function measureInChild(
  subject: 'dist' | 'lib',
  distDir: string,
  quick: boolean,
): Promise<InProcessResult> {
  return new Promise((resolve, reject) => {
    const child = fork(
      join(ROOT, 'bench/in-process-child.ts'),
      ['--subject', subject, '--dist', distDir, ...(quick ? ['--quick'] : [])],
      {
        cwd: ROOT,
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
        timeout: 180_000,
      },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-8000);
    });
    let answer: (Partial<InProcessResult> & { error?: string }) | undefined;
    child.on('message', (m) => {
      answer = m as typeof answer;
    });
    child.on('exit', (code, signal) => {
      if (answer?.figures)
        resolve({ figures: answer.figures, ...(answer.renders && { renders: answer.renders }) });
      else
        reject(
          new Error(`in-process ${subject} failed (${code ?? signal}): ${answer?.error ?? ''}\n${stderr}`),
        );
    });
  });
}
