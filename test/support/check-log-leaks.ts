import { readFileSync } from 'node:fs';
import { TEST_JWT_SECRET } from './tokens';

/**
 * Scans the captured output of a whole test run for what must never reach a log: bearer tokens,
 * the test key and passwords, connection strings, and message text (Hangul, which only test
 * messages and queries carry, in any line the app logged). Exits 1 naming each finding.
 */
const PASSWORDS = [
  'pa55-word-that-must-not-leak',
  'owner-secret',
  'app-secret',
  'not-a-real-password-0xC0FFEE',
];
const RULES: Array<{ name: string; test: (line: string) => boolean }> = [
  { name: 'bearer token', test: (line) => /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/.test(line) },
  { name: 'JWT secret', test: (line) => line.includes(TEST_JWT_SECRET) },
  { name: 'password', test: (line) => PASSWORDS.some((password) => line.includes(password)) },
  { name: 'connection string', test: (line) => /\b(postgres(ql)?|rediss?):\/\/\S+/.test(line) },
  {
    name: 'message text',
    test: (line) => line.includes('"service":"model-chatbot-nestjs"') && /[가-힣]/.test(line),
  },
];

const [file] = process.argv.slice(2);
const lines = readFileSync(file, 'utf8').split('\n');
const appLines = lines.filter((line) => line.includes('"service":"model-chatbot-nestjs"')).length;
const findings = lines.flatMap((line, index) =>
  RULES.filter((rule) => rule.test(line)).map((rule) => `line ${index + 1}: ${rule.name}`),
);
if (findings.length > 0) {
  console.error(
    `log leak check: ${findings.length} findings in ${file}\n${findings.slice(0, 20).join('\n')}`,
  );
  process.exit(1);
}
console.log(
  `log leak check: ${lines.length} lines (${appLines} from the app) hold no token, secret, password, connection string or message text`,
);
