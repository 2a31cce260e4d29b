import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

function hasDockerCompose(): boolean {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// CI installs docker-compose (Debian package); elsewhere the check runs where it is installed.
const available = process.env.CI === 'true' || hasDockerCompose();

describe('docker-compose.yml', () => {
  (available ? it : it.skip)(
    'is accepted by docker-compose config, with postgres:15, redis:7-alpine and the app',
    () => {
      const resolved = execFileSync('docker-compose', ['config'], { cwd: ROOT, encoding: 'utf8' });
      expect(resolved).toMatch(/image: postgres:15/);
      expect(resolved).toMatch(/image: redis:7-alpine/);
      expect(resolved).toMatch(/--appendonly yes/);
      expect(resolved).toMatch(/app:\n\s+build:/);
      expect(resolved.match(/healthcheck:/g)).toHaveLength(3);
    },
  );
});
