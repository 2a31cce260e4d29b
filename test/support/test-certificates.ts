import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ServerCertificate {
  cert: string;
  key: string;
}

/** A throwaway certificate authority made with openssl, for one test's TLS servers. */
export class TestCertificateAuthority {
  private constructor(
    readonly dir: string,
    readonly name: string,
  ) {}

  get certPath(): string {
    return join(this.dir, `${this.name}-ca.crt`);
  }

  static async create(name: string, dir?: string): Promise<TestCertificateAuthority> {
    const ca = new TestCertificateAuthority(
      dir ?? (await mkdtemp(join(tmpdir(), 'chatbot-test-ca-'))),
      name,
    );
    const key = join(ca.dir, `${name}-ca.key`);
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      ca.certPath,
      '-days',
      '2',
      '-subj',
      `/CN=${name} test CA`,
    ]);
    return ca;
  }

  /** A server certificate for `hosts` (DNS names or IP addresses), readable by `owner` only. */
  async issue(
    fileName: string,
    hosts: string[],
    owner?: { uid: number; gid: number },
  ): Promise<ServerCertificate> {
    const key = join(this.dir, `${fileName}.key`);
    const request = join(this.dir, `${fileName}.csr`);
    const cert = join(this.dir, `${fileName}.crt`);
    const extensions = join(this.dir, `${fileName}.ext`);
    const names = hosts
      .map((host) => (/^\d+\.\d+\.\d+\.\d+$/.test(host) ? `IP:${host}` : `DNS:${host}`))
      .join(',');
    await writeFile(extensions, `subjectAltName=${names}\n`);
    await run('openssl', [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      request,
      '-subj',
      `/CN=${hosts[0]}`,
    ]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      request,
      '-CA',
      this.certPath,
      '-CAkey',
      join(this.dir, `${this.name}-ca.key`),
      '-CAcreateserial',
      '-out',
      cert,
      '-days',
      '2',
      '-extfile',
      extensions,
    ]);
    // PostgreSQL refuses a key that others can read.
    await chmod(key, 0o600);
    if (owner) {
      await chown(key, owner.uid, owner.gid);
      await chown(cert, owner.uid, owner.gid);
    }
    return { cert, key };
  }
}
