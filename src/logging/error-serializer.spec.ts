import { QueryFailedError } from 'typeorm';
import { serializeError } from './error-serializer';

describe('serializeError', () => {
  it('keeps the class, code and constraint of a failed statement, never its SQL or parameters', () => {
    const driverError = Object.assign(
      new Error('duplicate key value violates unique constraint "pk_messages": Key (id)=(msg_1)'),
      {
        code: '23505',
        constraint: 'pk_messages',
        detail: 'Key (id)=(msg_1) already exists.',
        severity: 'ERROR',
      },
    );
    const error = new QueryFailedError(
      'INSERT INTO messages (id, content) VALUES ($1, $2)',
      ['msg_1', '비밀 메시지 본문'],
      driverError,
    );
    const fields = serializeError(error);
    expect(fields).toEqual({ type: 'QueryFailedError', code: '23505', constraint: 'pk_messages' });
    expect(JSON.stringify(fields)).not.toMatch(/INSERT|비밀|Key \(id\)/);
  });

  it('keeps the class and code of a socket error, not the address it names', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:5432'), {
      code: 'ECONNREFUSED',
    });
    expect(serializeError(error)).toEqual({ type: 'Error', code: 'ECONNREFUSED' });
  });

  it('keeps the message and a short stack of a programming error', () => {
    const fields = serializeError(
      new TypeError("Cannot read properties of undefined (reading 'id')"),
    );
    expect(fields).toMatchObject({
      type: 'TypeError',
      message: "Cannot read properties of undefined (reading 'id')",
    });
    expect(String(fields.stack)).toContain('error-serializer.spec.ts');
  });

  it('says only the type of something thrown that is not an Error', () => {
    expect(serializeError('a string with a secret')).toEqual({ type: 'string' });
  });
});
