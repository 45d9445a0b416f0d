import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/**
 * dynalite in a process of its own, so that its timers stay real while the
 * benchmark's clock is virtual. Resolves once it listens on 127.0.0.1.
 */
async function startDynamoDbProcess(): Promise<{ endpoint: string; stop: () => void }> {
  const script = `
    const server = require('dynalite')({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
  `;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code}`)));
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
  });
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

export { startDynamoDbProcess };
